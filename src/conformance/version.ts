/** The version of the specification the vectors are generated from; bumped with every normative change. */
export const SPEC_VERSION = '0.1.0';
