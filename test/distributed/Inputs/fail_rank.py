"""Starts a 2-rank training job, waits for its first checkpoint, then
kills rank 1 (`kill`: SIGKILL, a crashed machine), stops it (`stop`:
SIGSTOP, a rank that cannot be reached) or interrupts it (`int`: SIGINT,
as Ctrl-C), and waits for the job to end.
Prints the job's exit status and its stderr (the test checks them)."""
import os
import signal
import subprocess
import sys
import time

mode, model, checkpoint = sys.argv[1:4]
job = sys.argv[4:]  # the mpirun command line
env = dict(os.environ, NNC_MPI_TIMEOUT="5")
with open("job.err", "wb") as err, open("job.out", "wb") as out:
    p = subprocess.Popen(job, stdout=out, stderr=err, env=env)
    deadline = time.time() + 300
    while not os.path.exists(checkpoint) and p.poll() is None:
        assert time.time() < deadline, "no checkpoint after 300 s"
        time.sleep(0.2)
    time.sleep(1)


    def rank_one():
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/environ", "rb") as f:
                    environ = f.read().split(b"\0")
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if (b"OMPI_COMM_WORLD_RANK=1" in environ
                    and model.encode() in cmd and b"mpirun" not in cmd):
                return int(pid)
        return None

    victim = rank_one()
    assert victim, "rank 1 not found"
    os.kill(victim, {"kill": signal.SIGKILL, "stop": signal.SIGSTOP,
                     "int": signal.SIGINT}[mode])
    try:
        rc = p.wait(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
        try:
            os.kill(victim, signal.SIGKILL)
        except OSError:
            pass
print("job exit status", rc)
sys.stdout.write(open("job.err").read())
