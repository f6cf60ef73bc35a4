"""Drives `nnc repl` through a pseudo-terminal (--pty) or pipes, as a user
would type, from a small script; exits 1 with the transcript on failure.

Script lines (one directive each; blank lines and `#` comments skipped):
  >> TEXT        type TEXT and Enter
  >>> TEXT       type TEXT without Enter
  TAB            press Tab (completion)
  UP             press the up arrow (history)
  ^C             press Ctrl-C (with pipes: send SIGINT)
  << REGEX       wait until the output since the last wait matches REGEX
  !< REGEX       the output since the last wait must not match REGEX
  CAPTURE NAME REGEX   wait for REGEX; keep its group 1 as NAME
  DIFFERENT A B  the captures A and B differ
  !! COMMAND     run a shell command (e.g. edit a loaded file)
  EOF [CODE]     press Ctrl-D (with pipes: close stdin); expect exit CODE
                 (default 0; a script with errors exits with 1)

Usage: drive.py [--pty] NNC SCRIPT [WORKDIR]
"""
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

TIMEOUT = float(os.environ.get("NNC_REPL_TEST_TIMEOUT", "120"))
# The prompt, possibly followed by terminal control sequences, ends the output.
PROMPT_AT_END = re.compile(rb"(nn|\.\.)> (\x1b\[[0-9;]*[A-Za-z])*$")


class Repl:
    def __init__(self, nnc, use_pty, workdir):
        env = dict(os.environ, HOME=workdir, TERM="xterm")
        self.use_pty = use_pty
        self.out = b""
        self.mark = 0
        if use_pty:
            self.pid, self.fd = pty.fork()
            if self.pid == 0:
                try:
                    os.chdir(workdir)
                    os.execve(nnc, [nnc, "repl"], env)
                finally:
                    os._exit(127)
            self.wfd = self.fd
        else:
            self.proc = subprocess.Popen(
                [nnc, "repl"], cwd=workdir, env=env, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            self.pid = self.proc.pid
            self.fd = self.proc.stdout.fileno()
            self.wfd = self.proc.stdin.fileno()

    def send(self, data):
        # Keys arrive one burst at a time, as a person types them.
        os.write(self.wfd, data)
        time.sleep(0.15)

    def pump(self, seconds):
        ready, _, _ = select.select([self.fd], [], [], seconds)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        self.out += data
        return bool(data)

    def wait(self, regex):
        pattern = re.compile(regex.encode())
        end = time.time() + TIMEOUT
        while True:
            m = pattern.search(self.out, self.mark)
            if m:
                self.mark = m.end()
                return m
            if time.time() > end:
                fail("timed out waiting for %r" % regex, self)
            self.pump(0.2)

    def interrupt(self):
        if self.use_pty:
            self.send(b"\x03")
        else:
            os.kill(self.pid, signal.SIGINT)
            time.sleep(0.15)

    def wait_prompt(self):
        # Ctrl-D typed while the REPL is still busy reaches the terminal in
        # canonical mode, and the switch to libedit's raw mode turns that
        # pending end-of-file into a NUL byte: a person waits for the prompt.
        end = time.time() + TIMEOUT
        while not PROMPT_AT_END.search(self.out):
            if time.time() > end:
                fail("timed out waiting for a prompt", self)
            self.pump(0.2)

    def finish(self, expected=0):
        if self.use_pty:
            self.wait_prompt()
            self.send(b"\x04")
        else:
            self.proc.stdin.close()
        end = time.time() + TIMEOUT
        while time.time() < end:
            self.pump(0.2)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                while self.pump(0.1):
                    pass
                code = os.waitstatus_to_exitcode(status)
                if code != expected:
                    fail("nnc repl exited with %d, not %d" % (code, expected),
                         self)
                return
        fail("nnc repl did not exit", self)


def fail(why, repl):
    sys.stdout.write(repl.out.decode(errors="replace"))
    sys.stdout.write("\n*** %s\n" % why)
    try:
        os.kill(repl.pid, signal.SIGKILL)
    except OSError:
        pass
    sys.exit(1)


def main():
    args = sys.argv[1:]
    use_pty = args[0] == "--pty"
    if use_pty:
        args = args[1:]
    nnc, script = args[0], args[1]
    workdir = os.path.abspath(args[2] if len(args) > 2 else ".")
    os.makedirs(workdir, exist_ok=True)
    repl = Repl(nnc, use_pty, workdir)
    captures = {}
    for line in open(script, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        if op == ">>":
            repl.send(rest.encode() + b"\r" if use_pty else rest.encode() + b"\n")
        elif op == ">>>":
            repl.send(rest.encode())
        elif op == "TAB":
            repl.send(b"\t")
        elif op == "UP":
            repl.send(b"\x1b[A")
        elif op == "^C":
            repl.interrupt()
        elif op == "<<":
            repl.wait(rest)
        elif op == "!<":
            if re.search(rest.encode(), repl.out[repl.mark:]):
                fail("unexpected %r" % rest, repl)
        elif op == "CAPTURE":
            name, _, regex = rest.partition(" ")
            captures[name] = repl.wait(regex).group(1)
        elif op == "DIFFERENT":
            a, b = rest.split()
            if captures[a] == captures[b]:
                fail("%s and %s are both %r" % (a, b, captures[a]), repl)
        elif op == "!!":
            subprocess.run(rest, shell=True, check=True, cwd=workdir)
        elif op == "EOF":
            repl.finish(int(rest) if rest else 0)
        else:
            fail("bad script line: %r" % line, repl)
    sys.stdout.write(repl.out.decode(errors="replace"))


if __name__ == "__main__":
    main()
