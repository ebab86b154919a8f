// The hand-written encoding of the two health messages, checked against bytes worked out
// from the protobuf encoding rules.
import { describe, expect, test } from "bun:test";
import {
  ServingStatus,
  decodeHealthCheckRequest,
  decodeHealthCheckResponse,
  encodeHealthCheckRequest,
  encodeHealthCheckResponse,
  servingStatusName,
} from "../../src/daemon/health-protocol.ts";

const bytes = (...values: number[]) => Buffer.from(values);

describe("HealthCheckRequest", () => {
  test("the overall service, an empty name, is zero bytes on the wire", () => {
    expect(encodeHealthCheckRequest({ service: "" })).toEqual(bytes());
    expect(decodeHealthCheckRequest(bytes())).toEqual({ service: "" });
  });

  test("a service name is field 1, length-delimited", () => {
    expect(encodeHealthCheckRequest({ service: "abc" })).toEqual(bytes(0x0a, 0x03, 0x61, 0x62, 0x63));
    expect(decodeHealthCheckRequest(bytes(0x0a, 0x03, 0x61, 0x62, 0x63))).toEqual({ service: "abc" });
  });

  test("a name of 128 bytes or more takes a two-byte length", () => {
    const name = "s".repeat(300);
    const encoded = encodeHealthCheckRequest({ service: name });
    expect([...encoded.subarray(0, 3)]).toEqual([0x0a, 0xac, 0x02]);
    expect(decodeHealthCheckRequest(encoded)).toEqual({ service: name });
  });

  test("UTF-8 names round-trip", () => {
    expect(decodeHealthCheckRequest(encodeHealthCheckRequest({ service: "démon.v1" }))).toEqual({ service: "démon.v1" });
  });
});

describe("HealthCheckResponse", () => {
  test("each status is field 1 as a varint; UNKNOWN, the default, is zero bytes", () => {
    expect(encodeHealthCheckResponse({ status: ServingStatus.UNKNOWN })).toEqual(bytes());
    expect(encodeHealthCheckResponse({ status: ServingStatus.SERVING })).toEqual(bytes(0x08, 0x01));
    expect(encodeHealthCheckResponse({ status: ServingStatus.NOT_SERVING })).toEqual(bytes(0x08, 0x02));
    expect(decodeHealthCheckResponse(bytes())).toEqual({ status: ServingStatus.UNKNOWN });
    expect(decodeHealthCheckResponse(bytes(0x08, 0x01))).toEqual({ status: ServingStatus.SERVING });
    expect(decodeHealthCheckResponse(bytes(0x08, 0x03))).toEqual({ status: ServingStatus.SERVICE_UNKNOWN });
  });

  test("fields from a newer health.proto are skipped, whatever their wire type", () => {
    const unknownFields = [
      ...[0x10, 0x96, 0x01], // field 2, varint 150
      ...[0x19, 1, 2, 3, 4, 5, 6, 7, 8], // field 3, fixed64
      ...[0x22, 0x02, 0x68, 0x69], // field 4, length-delimited "hi"
      ...[0x2d, 1, 2, 3, 4], // field 5, fixed32
    ];
    expect(decodeHealthCheckResponse(bytes(...unknownFields, 0x08, 0x01))).toEqual({ status: ServingStatus.SERVING });
  });

  test("a status this code does not know decodes as its number", () => {
    expect(decodeHealthCheckResponse(bytes(0x08, 0x07))).toEqual({ status: 7 });
    expect(servingStatusName(7)).toBe("status 7");
    expect(servingStatusName(ServingStatus.NOT_SERVING)).toBe("NOT_SERVING");
  });

  test("a message cut short is an error, not a guess", () => {
    expect(() => decodeHealthCheckResponse(bytes(0x08))).toThrow(/ends inside a field/);
    expect(() => decodeHealthCheckRequest(bytes(0x0a, 0x05, 0x61))).toThrow(/ends inside a field/);
    expect(() => decodeHealthCheckResponse(bytes(0x0b))).toThrow(/wire type 3/);
  });
});
