"""A stand-in for Stigmer's Agent Runner, for the demo.

It reads the environment the real Agent Runner reads in local mode, prints a start-up
banner (never the key itself), sends a heartbeat, and exits cleanly on SIGTERM.
"""

import os
import signal
import sys
import time

running = True


def stop(signum, _frame):
    global running
    print(f"agent-runner: {signal.Signals(signum).name} received, finishing the current step and exiting", flush=True)
    running = False


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)

key = os.environ.get("STIGMER_LLM_API_KEY", "")
provider = os.environ.get("STIGMER_LLM_PROVIDER", "?")
print("agent-runner: Stigmer Agent Runner (demo stand-in)")
print(f"agent-runner: mode={os.environ.get('MODE')} sandbox={os.environ.get('SANDBOX_TYPE')} root={os.environ.get('SANDBOX_ROOT_DIR')}")
print(f"agent-runner: daemon={os.environ.get('STIGMER_BACKEND_ENDPOINT')} provider={provider} api key={'set' if key else 'missing'}")
print(f"agent-runner: python {sys.version.split()[0]}, pid {os.getpid()}, cwd {os.getcwd()}", flush=True)

interval = float(os.environ.get("DEMO_HEARTBEAT_SECONDS", "5"))
next_beat = time.monotonic() + interval
beat = 0
while running:
    time.sleep(0.1)
    if running and time.monotonic() >= next_beat:
        beat += 1
        next_beat += interval
        print(f"agent-runner: heartbeat {beat}: waiting for work from the daemon", flush=True)
print("agent-runner: bye", flush=True)
