import { describe, expect, test } from "bun:test";
import { StigmerError } from "../../src/cli/errors.ts";
import { socketTarget } from "../../src/secrets/keyring.ts";
import { checkKeyName, keyValueProblem } from "../../src/secrets/values.ts";

describe("key names", () => {
  test("environment variable names pass", () => {
    for (const name of ["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "K", "A1_B2"]) expect(checkKeyName(name)).toBe(name);
  });

  test("anything else is a usage error (exit 2)", () => {
    for (const name of ["", "lower", "1ABC", "_ABC", "A-B", "A B", "__stigmer_index__", "ÄPI"]) {
      try {
        checkKeyName(name);
        throw new Error(`accepted ${name}`);
      } catch (error) {
        expect(error).toBeInstanceOf(StigmerError);
        expect((error as StigmerError).exitCode).toBe(2);
      }
    }
  });
});

describe("key values", () => {
  test("a key on one line passes", () => {
    expect(keyValueProblem("sk-ant-api03-abc_DEF-123")).toBeUndefined();
  });

  test("empty, multi-line, control characters and too short are refused, without quoting the value", () => {
    expect(keyValueProblem("")).toBe("the key is empty");
    expect(keyValueProblem("sk-abcd\nsecond")).toBe("the key spans more than one line");
    expect(keyValueProblem("sk-abcd\rsecond")).toBe("the key spans more than one line");
    expect(keyValueProblem("sk-\u001b[31m-abcd")).toBe("the key contains control characters");
    expect(keyValueProblem("sk-ab\tcd")).toBe("the key contains control characters");
    expect(keyValueProblem("abc")).toBe("the key is shorter than 4 characters");
  });
});

describe("D-Bus addresses", () => {
  test("unix paths, abstract sockets and tcp are reached by a socket; the first usable entry wins", () => {
    expect(socketTarget("unix:path=/run/user/1000/bus")).toEqual({ path: "/run/user/1000/bus" });
    expect(socketTarget("unix:path=/tmp/dbus-Ab%2c1,guid=0123")).toEqual({ path: "/tmp/dbus-Ab,1" });
    expect(socketTarget("unix:abstract=/tmp/dbus-X,guid=1")).toEqual({ path: "\0/tmp/dbus-X" });
    expect(socketTarget("tcp:host=127.0.0.1,port=12345")).toEqual({ host: "127.0.0.1", port: 12345 });
    expect(socketTarget("launchd:env=DBUS_LAUNCHD_SESSION_BUS_SOCKET;unix:path=/b")).toEqual({ path: "/b" });
  });

  test("transports a socket cannot reach are left to the library", () => {
    expect(socketTarget("launchd:env=DBUS_LAUNCHD_SESSION_BUS_SOCKET")).toBeUndefined();
    expect(socketTarget("unixexec:path=/usr/bin/ssh")).toBeUndefined();
  });
});
