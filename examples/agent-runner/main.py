"""A stand-in for Stigmer's Agent Runner, for the demo and the tests (standard library only).

It starts the way the real Agent Runner does, and fails where it fails:

1. Settings come from the environment only, as in the real runner's worker/config.py:
   MODE (default "cloud"), STIGMER_LLM_PROVIDER (default "anthropic"), STIGMER_LLM_MODEL
   (default "qwen2.5-coder:7b" in local mode whatever the provider, "claude-sonnet-4.5"
   otherwise), the key from STIGMER_LLM_API_KEY, else ANTHROPIC_API_KEY (anthropic) or
   OPENAI_API_KEY (openai), SANDBOX_TYPE, SANDBOX_ROOT_DIR, STIGMER_BACKEND_ENDPOINT,
   TEMPORAL_SERVICE_ADDRESS (default "localhost:7233"), TEMPORAL_NAMESPACE (default "default").
   An unknown provider, or anthropic/openai without a key, is a ValueError (exit 1).
2. The model's provider comes from the model name, as the real model parser infers it; a
   model of another provider than STIGMER_LLM_PROVIDER is a ValueError (exit 1). So with
   STIGMER_LLM_PROVIDER=anthropic in local mode, a model must be named: the default
   qwen2.5-coder:7b is an Ollama model.
3. It connects to Temporal (TCP, 5 s timeout); failing that, it prints
   `Failed to connect to Temporal at ADDRESS: REASON` on stderr and exits 1.
4. It prints its banner (never the key itself) and `Worker ready, polling for tasks...`,
   then a heartbeat every DEMO_HEARTBEAT_SECONDS (default 5) until SIGTERM / SIGINT, which
   end it with exit 0.
"""

import os
import signal
import socket
import sys
import time

LOCAL_DEFAULT_MODEL = "qwen2.5-coder:7b"
CLOUD_DEFAULT_MODEL = "claude-sonnet-4.5"
PROVIDERS = ("anthropic", "openai", "ollama")
PROVIDER_KEY_VARIABLES = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
TEMPORAL_CONNECT_TIMEOUT_SECONDS = 5.0

running = True


def stop(signum, _frame):
    global running
    print(f"agent-runner: {signal.Signals(signum).name} received, finishing the current step and exiting", flush=True)
    running = False


def fail(message):
    print(message, file=sys.stderr, flush=True)
    sys.exit(1)


def env(name, default=None):
    """An empty variable counts as unset, as `os.getenv(...) or ...` does in the real runner."""
    value = os.environ.get(name)
    return value if value else default


def infer_provider(model):
    """The provider a model name belongs to: an explicit `provider:` prefix, else by the name."""
    for provider in PROVIDERS:
        if model.startswith(f"{provider}:"):
            return provider
    if model.startswith("claude"):
        return "anthropic"
    if model.startswith(("gpt-", "o1", "o3", "o4")):
        return "openai"
    return "ollama"


def load_settings():
    mode = env("MODE", "cloud")
    provider = env("STIGMER_LLM_PROVIDER", "anthropic")
    model = env("STIGMER_LLM_MODEL", LOCAL_DEFAULT_MODEL if mode == "local" else CLOUD_DEFAULT_MODEL)
    api_key = env("STIGMER_LLM_API_KEY")
    if not api_key and provider in PROVIDER_KEY_VARIABLES:
        api_key = env(PROVIDER_KEY_VARIABLES[provider])

    # The configuration's own checks first, then the model parser's, in the real runner's order.
    if provider not in PROVIDERS:
        raise ValueError(f"Invalid provider '{provider}'. Must be one of: {', '.join(PROVIDERS)}")
    if provider in PROVIDER_KEY_VARIABLES and not api_key:
        raise ValueError(f"api_key is required for {provider} provider")
    if not model.strip():
        raise ValueError("model_name cannot be empty")
    inferred = infer_provider(model)
    if inferred != provider:
        raise ValueError(f"model '{model}' belongs to provider '{inferred}', but STIGMER_LLM_PROVIDER is '{provider}'")

    return {
        "mode": mode,
        "provider": provider,
        "model": model,
        "api_key": api_key,
        "sandbox_type": env("SANDBOX_TYPE", "filesystem" if mode == "local" else "daytona"),
        "sandbox_root_dir": env("SANDBOX_ROOT_DIR", "./workspace" if mode == "local" else None),
        "backend_endpoint": env("STIGMER_BACKEND_ENDPOINT", "localhost:50051" if mode == "local" else "localhost:8080"),
        "temporal_address": env("TEMPORAL_SERVICE_ADDRESS", "localhost:7233"),
        "temporal_namespace": env("TEMPORAL_NAMESPACE", "default"),
    }


def split_address(address):
    """host:port, [v6]:port; raises ValueError when there is no port."""
    host, separator, port = address.rpartition(":")
    if not separator or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"invalid address '{address}': want host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def connect_to_temporal(address):
    """A TCP connection to Temporal's frontend, or exit 1 as the real runner does when it cannot connect."""
    try:
        host, port = split_address(address)
        with socket.create_connection((host, port), timeout=TEMPORAL_CONNECT_TIMEOUT_SECONDS):
            pass
    except socket.timeout:
        fail(f"Failed to connect to Temporal at {address}: timed out after {TEMPORAL_CONNECT_TIMEOUT_SECONDS:g}s")
    except socket.gaierror as error:
        fail(f"Failed to connect to Temporal at {address}: cannot resolve host: {error.strerror or error}")
    except OSError as error:
        fail(f"Failed to connect to Temporal at {address}: {error.strerror or error}")
    except ValueError as error:
        fail(f"Failed to connect to Temporal at {address}: {error}")


def main():
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    try:
        settings = load_settings()
    except ValueError as error:
        fail(f"ValueError: {error}")

    connect_to_temporal(settings["temporal_address"])
    if not running:
        print("agent-runner: bye", flush=True)
        return

    print("agent-runner: Stigmer Agent Runner (demo stand-in)")
    print(f"agent-runner: mode={settings['mode']} provider={settings['provider']} model={settings['model']} "
          f"api key={'set' if settings['api_key'] else 'not needed'}")
    print(f"agent-runner: daemon={settings['backend_endpoint']}")
    print(f"agent-runner: temporal={settings['temporal_address']} namespace={settings['temporal_namespace']}")
    print(f"agent-runner: sandbox={settings['sandbox_type']} root={settings['sandbox_root_dir']}")
    print(f"agent-runner: python {sys.version.split()[0]}, pid {os.getpid()}, cwd {os.getcwd()}")
    print("Worker ready, polling for tasks...", flush=True)

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


if __name__ == "__main__":
    main()
