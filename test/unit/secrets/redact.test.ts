import { describe, expect, test } from "bun:test";
import { cutLongLines, LineAssembler, StreamTail } from "../../../src/lifecycle/process/lines.ts";
import { KEY_VARIABLES, secretValues } from "../../../src/secrets/key-variables.ts";
import { createRedactor, REDACTED } from "../../../src/secrets/redact.ts";

const KEY = "sk-ant-api03-SECRETSECRETSECRET";

function feed(assembler: LineAssembler, chunks: (string | Buffer)[]): string {
  let text = "";
  for (const chunk of chunks) {
    for (const lines of assembler.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))) text += lines.toString();
  }
  const rest = assembler.flush();
  return text + (rest ? rest.toString() : "");
}

describe("createRedactor", () => {
  test("replaces every occurrence of every secret", () => {
    const redact = createRedactor([KEY, "other-secret-value"]);
    expect(redact(Buffer.from(`a ${KEY} b ${KEY}other-secret-value`)).toString()).toBe(`a ${REDACTED} b ${REDACTED}${REDACTED}`);
  });

  test("returns the same bytes untouched when no secret is there", () => {
    const bytes = Buffer.from("nothing to hide");
    expect(createRedactor([KEY])(bytes)).toBe(bytes);
  });

  test("a secret that contains another is replaced whole", () => {
    const redact = createRedactor(["abcd", "xxabcdxx"]);
    expect(redact(Buffer.from("xxabcdxx abcd")).toString()).toBe(`${REDACTED} ${REDACTED}`);
  });

  test("values too short to mean anything are ignored", () => {
    expect(createRedactor(["ab", ""])(Buffer.from("abc")).toString()).toBe("abc");
  });
});

describe("createRedactor: a key printed encoded", () => {
  /** With every character that JSON or URL encoders change: "/", "+", '"', "\\", a space, non-ASCII, "=", "~", "*". */
  const ODD = 'sk-proj-Wq3/Zr8+Tn5"Mv2 Lp9=Hx4\\ü~Jd7*Rb1€Kc6Yt0';
  const redactAll = createRedactor([KEY, ODD]);
  const redacted = (text: string) => redactAll(Buffer.from(text)).toString();

  /** As common libraries write it; worked out here, not with the redactor's own code. */
  function jsonForms(value: string): string[] {
    const standard = JSON.stringify(value).slice(1, -1);
    const pythonStyle = standard.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
    return [standard, pythonStyle, standard.replaceAll("/", "\\/"), pythonStyle.replaceAll("/", "\\/")];
  }

  function urlForms(value: string): string[] {
    // Python's quote(value, safe=""): only letters, digits and -._~ stay.
    const strict = encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
    const form = new URLSearchParams({ k: value }).toString().slice(2);
    return [encodeURIComponent(value), strict, strict.replaceAll("%2F", "/"), form].flatMap((encoded) => [
      encoded,
      encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    ]);
  }

  test("JSON-escaped, as JSON.stringify, Python (\\u escapes) and PHP (\\/) write it", () => {
    for (const value of [KEY, ODD]) {
      for (const form of jsonForms(value)) {
        expect(redacted(`{"key": "${form}"}`)).toBe(`{"key": "${REDACTED}"}`);
      }
    }
  });

  test("URL-encoded, as encodeURIComponent, URLSearchParams and Python's quote / quote_plus write it, in either hex case", () => {
    for (const form of urlForms(ODD)) {
      expect(redacted(`https://example.com/?key=${form}&x=1`)).toBe(`https://example.com/?key=${REDACTED}&x=1`);
    }
  });

  test("base64 and base64url at every offset inside a longer text: nothing of the key's whole groups is left", () => {
    for (const value of [KEY, ODD]) {
      for (let before = 0; before < 9; before++) {
        for (const after of ["", "!", "!t", "!tail and more"]) {
          const bytes = Buffer.concat([Buffer.from("Authorization: ".slice(0, before)), Buffer.from(value), Buffer.from(after)]);
          for (const encoding of ["base64", "base64url"] as const) {
            const encoded = bytes.toString(encoding);
            const out = redacted(`token ${encoded} end`);
            expect(out).toContain(REDACTED);
            // What is left of the token: at most the groups it shares with the text around the key.
            const left = out.slice("token ".length, -" end".length).split(REDACTED);
            expect(left).toHaveLength(2);
            expect(left[0]!.length).toBeLessThanOrEqual(Math.ceil((before + 2) / 3) * 4);
            expect(left[1]!.length).toBeLessThanOrEqual(Math.ceil((after.length + 2) / 3) * 4);
          }
        }
      }
    }
  });

  test("a key split by a line break is not found: output is redacted in whole lines (a documented limit, README \"Keys\")", () => {
    const split = `${KEY.slice(0, 10)}\n${KEY.slice(10)}`;
    expect(redacted(split)).toBe(split);
  });

  test("longestSecret is the longest form searched for, so a long line is never cut inside one", () => {
    const longest = Math.max(...urlForms(ODD).map((form) => Buffer.byteLength(form)));
    expect(redactAll.longestSecret).toBeGreaterThanOrEqual(longest);
    const max = 64;
    const encoded = Buffer.from(`xx${ODD}`).toString("base64");
    for (let offset = 0; offset < 70; offset++) {
      const line = "a".repeat(offset) + encodeURIComponent(ODD) + "b".repeat(100) + encoded + "c".repeat(100);
      const out = feed(new LineAssembler(createRedactor([ODD]), max), line.match(/.{1,7}/g)!);
      expect(out.replace(/\n/g, "")).not.toContain(encodeURIComponent(ODD));
      expect(out.replace(/\n/g, "").split(REDACTED)).toHaveLength(3);
    }
  });
});

describe("secretValues: what the redactor hides", () => {
  test("every provider's key variable and STIGMER_LLM_API_KEY are known", () => {
    expect([...KEY_VARIABLES].sort()).toEqual(["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "STIGMER_LLM_API_KEY"]);
  });

  test("the resolved keys, and each key variable's value in the environment, whichever provider; names from the keyring too", () => {
    const env = {
      ANTHROPIC_API_KEY: "sk-ant-other-provider",
      STIGMER_LLM_API_KEY: "sk-exported-llm",
      GROQ_API_KEY: "gsk-stored-name",
      OPENAI_API_KEY: "  ",
      PATH: "/usr/bin",
      STIGMER_API_KEY: "dummy-local-key",
    };
    const keys = [{ name: "OPENAI_API_KEY", value: "sk-proj-resolved", source: "keyring" as const }];
    expect(secretValues(env, keys).sort()).toEqual(["sk-ant-other-provider", "sk-exported-llm", "sk-proj-resolved"]);
    expect(secretValues(env, keys, ["GROQ_API_KEY"]).sort()).toEqual(["gsk-stored-name", "sk-ant-other-provider", "sk-exported-llm", "sk-proj-resolved"]);
  });
});

describe("LineAssembler", () => {
  test("emits only whole lines and keeps the unfinished one", () => {
    const assembler = new LineAssembler(createRedactor([]));
    const text = (pieces: Buffer[]) => pieces.map((piece) => piece.toString());
    expect(text(assembler.push(Buffer.from("one\ntw")))).toEqual(["one\n"]);
    expect(assembler.push(Buffer.from("o"))).toEqual([]);
    expect(text(assembler.push(Buffer.from("\nthree\nfour\nfi")))).toEqual(["two\n", "three\nfour\n"]);
    expect(text(assembler.push(Buffer.from("ve")))).toEqual([]);
    expect(assembler.flush()?.toString()).toBe("five\n");
    expect(assembler.push(Buffer.from("six")).length).toBe(0);
    expect(assembler.flush()?.toString()).toBe("six\n");
    expect(assembler.flush()).toBeNull();
  });

  test("a key split across chunks at every possible point is still redacted", () => {
    const text = `token=${KEY} end\nnext line ${KEY}\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const out = feed(new LineAssembler(createRedactor([KEY])), [text.slice(0, cut), text.slice(cut)]);
      expect(out).toBe(`token=${REDACTED} end\nnext line ${REDACTED}\n`);
    }
  });

  test("a key fed one byte at a time is redacted", () => {
    const bytes = Buffer.from(`${KEY}\n`);
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    expect(feed(new LineAssembler(createRedactor([KEY])), chunks)).toBe(`${REDACTED}\n`);
  });

  test("a line longer than the limit is cut into pieces without cutting a key in two", () => {
    const max = 64;
    for (let offset = 0; offset < 80; offset++) {
      const line = "a".repeat(offset) + KEY + "b".repeat(200);
      const chunks = line.match(/.{1,7}/g)!;
      const out = feed(new LineAssembler(createRedactor([KEY]), max), chunks);
      expect(out).not.toContain(KEY.slice(0, 8));
      expect(out.replace(/\n/g, "")).toBe("a".repeat(offset) + REDACTED + "b".repeat(200));
      for (const piece of out.split("\n").slice(0, -1)) expect(piece.length).toBeLessThanOrEqual(max);
    }
  });

  test("a long line that arrives whole in one big chunk is cut too", () => {
    const max = 64;
    const line = `${"a".repeat(200)}\n`;
    const out = Buffer.concat(new LineAssembler(createRedactor([]), max).push(Buffer.from(`short\n${line}${line}end\n`))).toString();
    for (const piece of out.split("\n")) expect(piece.length).toBeLessThanOrEqual(max);
    expect(out.replace(/\n/g, "")).toBe(`short${"a".repeat(400)}end`);
  });

  test("cutLongLines leaves lines at or under the limit alone", () => {
    const lines = Buffer.from(`${"b".repeat(64)}\n${"c".repeat(10)}\n`.repeat(50));
    expect(cutLongLines(lines, 64)).toBe(lines);
    expect(cutLongLines(Buffer.from(`${"d".repeat(65)}\n`), 64).toString()).toBe(`${"d".repeat(64)}\nd\n`);
  });

  test("memory stays bounded for a stream without newlines", () => {
    const assembler = new LineAssembler(createRedactor([]), 1024);
    let emitted = 0;
    for (let i = 0; i < 1000; i++) for (const lines of assembler.push(Buffer.alloc(4096, 0x61))) emitted += lines.length;
    expect(emitted).toBeGreaterThan(1000 * 4096 - 2048);
  });

  test("keeps its own copy of a partial line when the chunk's memory is reused", () => {
    const assembler = new LineAssembler(createRedactor([]));
    const chunk = Buffer.from("abc");
    assembler.push(chunk);
    chunk.fill(0x7a);
    expect(assembler.flush()?.toString()).toBe("abc\n");
  });

  test("invalid UTF-8 passes through byte for byte", () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x0a, 0xc3, 0x28, 0x0a]);
    const lines = new LineAssembler(createRedactor([])).push(bytes);
    expect(Buffer.concat(lines).equals(bytes)).toBe(true);
  });
});

describe("StreamTail", () => {
  test("the last non-empty lines, over chunks", () => {
    const tail = new StreamTail();
    tail.push(Buffer.from("a\nb\n"));
    tail.push(Buffer.from("\nc\n"));
    expect(tail.lines(2)).toEqual(["b", "c"]);
    expect(tail.lines(5)).toEqual(["a", "b", "c"]);
    expect(new StreamTail().lines(3)).toEqual([]);
  });

  test("keeps only the end: a line cut at the window's start is left out", () => {
    const big = new StreamTail(64);
    big.push(Buffer.from(`${"x".repeat(100_000)}\nlast one\n`));
    expect(big.lines(3)).toEqual(["last one"]);
    const chunked = new StreamTail(16);
    for (const chunk of ["first line\n", "second\n", "third\n"]) chunked.push(Buffer.from(chunk));
    // The last 16 bytes: "ne\nsecond\nthird\n"; "first line" is cut, so left out.
    expect(chunked.lines(5)).toEqual(["second", "third"]);
    const exact = new StreamTail(8);
    exact.push(Buffer.from("1234567\n"));
    expect(exact.lines(2)).toEqual(["1234567"]);
  });
});
