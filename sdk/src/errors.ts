/**
 * Every rejection the shared module raises carries a stable machine-readable code, so the
 * bridge can publish it back to the device and count it, and a human a clear message.
 */
export type EncodingErrorCode =
  | "MALFORMED_JSON"
  | "NOT_AN_OBJECT"
  | "UNKNOWN_FIELD"
  | "MISSING_FIELD"
  | "DUPLICATE_FIELD"
  | "WRONG_TYPE"
  | "OUT_OF_RANGE"
  | "FIELD_OVERFLOW"
  | "BAD_SIGNATURE_FORMAT"
  | "UNSUPPORTED_VERSION"
  | "OVERSIZE"
  | "BAD_MERKLE_INPUT";

export class EncodingError extends Error {
  readonly code: EncodingErrorCode;
  readonly field?: string;

  constructor(code: EncodingErrorCode, message: string, field?: string) {
    super(field === undefined ? message : `${field}: ${message}`);
    this.name = "EncodingError";
    this.code = code;
    this.field = field;
  }
}
