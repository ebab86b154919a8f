// Text inside an XML element, for the launchd plist and the Task Scheduler task. Pure.
import { StigmerError } from "../../cli/errors.ts";

/**
 * XML 1.0 cannot hold most control characters at all, not even as references, nor half of a
 * UTF-16 surrogate pair: a value with one is refused rather than written changed.
 */
const UNWRITABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** `text` escaped for an element's content: `&`, `<`, `>`, and `\r` (which a parser would turn into `\n`). */
export function xmlText(text: string): string {
  if (UNWRITABLE.test(text)) {
    throw new StigmerError(`${JSON.stringify(text)} holds a character an XML file cannot hold.`, {
      fix: "Use paths and values without control characters.",
    });
  }
  return text.replace(/[&<>\r]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;" })[char]!);
}

/** `<name>text</name>`, indented. */
export function element(indent: string, name: string, text: string): string {
  return `${indent}<${name}>${xmlText(text)}</${name}>`;
}
