export { decodeBase32, encodeBase32 } from './base32.js';
export { codesEqual, isWellFormedCode } from './code-matches.js';
export { type HotpOptions, hotp, type OtpAlgorithm, type OtpDigits } from './hotp.js';
export { type OtpauthUriParams, otpauthUri } from './otpauth-uri.js';
export {
  MIN_IMPORTED_SEED_BYTES,
  NEW_SEED_BYTES,
  type OtpParams,
  otpParamsSchema,
  storedOtpParams,
} from './params.js';
export { type TotpOptions, totp, totpStep } from './totp.js';
export { type VerifyHotpParams, type VerifyHotpResult, verifyHotp } from './verify-hotp.js';
export { type VerifyTotpParams, type VerifyTotpResult, verifyTotp } from './verify-totp.js';
