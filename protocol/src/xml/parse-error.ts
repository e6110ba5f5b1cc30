/**
 * The error `parseXml()` throws.
 * @module
 */

/** RFC 6120 §4.9.3 stream error condition that the failure maps to. */
export type XmlParseErrorCondition = 'not-well-formed' | 'restricted-xml' | 'policy-violation';

/** Thrown by {@link parseXml}; `condition` is the stream error to close the session with. */
export class XmlParseError extends Error {
  override readonly name: string = 'XmlParseError';
  readonly condition: XmlParseErrorCondition;

  constructor(condition: XmlParseErrorCondition, message: string) {
    super(message);
    this.condition = condition;
  }
}
