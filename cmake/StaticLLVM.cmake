# StaticLLVM.cmake - link LLVM and MLIR from their static archives.
#
# Every nnc command starts by loading what it links. With Debian's shared
# libLLVM.so and libMLIR.so (~250 MB together) the dynamic loader spends
# 80-120 ms on their symbol lookups and relocations before main() runs,
# more than a cached compile takes; linked statically, only the code nnc
# uses is in the binary and it starts in a few milliseconds.
#
# Debian's static MLIR targets name the LLVM shared library (`LLVM`) as
# their dependency, and MLIRExecutionEngine even names libMLIR.so. Both are
# rewritten here to the LLVM archives, so that one copy of each library is
# linked. NNC_LLVM names what nnc's own targets link: `LLVM` (shared) or
# nnc_llvm_static.

# The sanitizer and fuzzing builds link the shared libraries: their binaries
# keep line tables for reports without carrying LLVM's debug information,
# and CI thereby builds and tests both ways of linking.
if(NNC_SANITIZE OR NNC_BUILD_FUZZERS)
  set(nnc_static_default OFF)
else()
  set(nnc_static_default ON)
endif()
option(NNC_STATIC_LLVM "Link LLVM and MLIR statically (faster start-up)"
       ${nnc_static_default})
if(NOT NNC_STATIC_LLVM)
  set(NNC_LLVM LLVM)
  set(MLIR_LINK_MLIR_DYLIB ON)
  return()
endif()

set(MLIR_LINK_MLIR_DYLIB OFF)
set(NNC_LLVM nnc_llvm_static)
add_library(nnc_llvm_static INTERFACE)

# An archive is usable when its file is installed and so is everything it
# depends on: some name libraries that are not (libcurl for Debuginfod,
# libPolly.a for Extensions, libpfm for Exegesis); nnc uses none of those.
function(nnc_archive_usable lib out)
  get_property(known GLOBAL PROPERTY NNC_USABLE_${lib} SET)
  if(known)
    get_property(result GLOBAL PROPERTY NNC_USABLE_${lib})
    set(${out} ${result} PARENT_SCOPE)
    return()
  endif()
  set_property(GLOBAL PROPERTY NNC_USABLE_${lib} TRUE) # cycles: optimistic
  set(result TRUE)
  if(NOT TARGET ${lib})
    # A system library: a missing imported target (`CURL::libcurl`), a
    # missing file, or a `-l` name the linker would not find (libpfm).
    if(lib MATCHES "::")
      set(result FALSE)
    elseif(IS_ABSOLUTE "${lib}")
      if(NOT EXISTS "${lib}")
        set(result FALSE)
      endif()
    elseif(lib MATCHES "^[A-Za-z0-9_+-]+$")
      find_library(NNC_SYSLIB_${lib} ${lib})
      if(NOT NNC_SYSLIB_${lib})
        set(result FALSE)
      endif()
    endif()
  else()
    get_target_property(kind ${lib} TYPE)
    if(kind STREQUAL "STATIC_LIBRARY")
      get_target_property(file ${lib} IMPORTED_LOCATION_RELWITHDEBINFO)
      if(NOT file)
        get_target_property(file ${lib} IMPORTED_LOCATION)
      endif()
      if(NOT file OR NOT EXISTS "${file}")
        set(result FALSE)
      endif()
    endif()
    get_target_property(deps ${lib} INTERFACE_LINK_LIBRARIES)
    if(result AND deps)
      foreach(dep IN LISTS deps)
        if(NOT dep STREQUAL "LLVM" AND NOT dep STREQUAL "MLIR")
          nnc_archive_usable(${dep} dep_ok)
          if(NOT dep_ok)
            set(result FALSE)
          endif()
        endif()
      endforeach()
    endif()
  endif()
  set_property(GLOBAL PROPERTY NNC_USABLE_${lib} ${result})
  set(${out} ${result} PARENT_SCOPE)
endfunction()

set(nnc_llvm_archives "")
foreach(lib IN LISTS LLVM_AVAILABLE_LIBS)
  if(lib MATCHES "^LLVM[A-Z]" AND TARGET ${lib})
    get_target_property(kind ${lib} TYPE)
    nnc_archive_usable(${lib} usable)
    if(kind STREQUAL "STATIC_LIBRARY" AND usable)
      list(APPEND nnc_llvm_archives ${lib})
    endif()
  endif()
endforeach()
target_link_libraries(nnc_llvm_static INTERFACE ${nnc_llvm_archives})

# Point every imported LLVM and MLIR archive that names a shared library at
# the archives instead.
get_property(nnc_mlir_archives GLOBAL PROPERTY MLIR_ALL_LIBS)
foreach(lib IN LISTS nnc_llvm_archives nnc_mlir_archives)
  if(NOT TARGET ${lib})
    continue()
  endif()
  get_target_property(deps ${lib} INTERFACE_LINK_LIBRARIES)
  if(NOT deps)
    continue()
  endif()
  set(rewritten "")
  foreach(dep IN LISTS deps)
    if(dep STREQUAL "LLVM" OR dep STREQUAL "$<LINK_ONLY:LLVM>")
      list(APPEND rewritten nnc_llvm_static)
    elseif(NOT dep STREQUAL "MLIR" AND NOT dep STREQUAL "$<LINK_ONLY:MLIR>")
      list(APPEND rewritten ${dep})
    endif()
  endforeach()
  set_target_properties(${lib} PROPERTIES INTERFACE_LINK_LIBRARIES "${rewritten}")
endforeach()

# Executables: no position-independent executable (PIE would leave ~320k
# relative relocations for the loader), sections nothing references
# dropped, shared libraries linked only where used, and no debug information
# from Debian's RelWithDebInfo archives (200 MB of it) outside Debug builds.
string(APPEND CMAKE_EXE_LINKER_FLAGS " -no-pie -Wl,--gc-sections -Wl,--as-needed")
if(NOT CMAKE_BUILD_TYPE STREQUAL "Debug")
  string(APPEND CMAKE_EXE_LINKER_FLAGS " -Wl,--strip-debug")
endif()
