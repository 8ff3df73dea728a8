import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../../shared/errors.js';
import { cipherFromUri, MAX_PBKDF2_ITERATIONS } from './pskc-decrypt.js';
import { hmacHashFromUri } from './pskc-mac.js';
import type {
  DataValue,
  EncryptedBlob,
  EncryptionKeySpec,
  HmacHash,
  MacMethodSpec,
  ParsedContainer,
  ParsedKeyPackage,
  PskcHashAlgorithm,
} from './pskc-types.js';

/** Larger inputs are refused before parsing. */
export const MAX_PSKC_BYTES = 5 * 1024 * 1024;

/** RFC 6030 §4 namespace of KeyContainer. */
export const PSKC_NAMESPACE = 'urn:ietf:params:xml:ns:keyprov:pskc';

const KEY_ALGORITHMS: Readonly<Record<string, 'hotp' | 'totp'>> = {
  'urn:ietf:params:xml:ns:keyprov:pskc:hotp': 'hotp',
  'urn:ietf:params:xml:ns:keyprov:pskc:totp': 'totp',
  'http://www.ietf.org/keyprov/pskc#totp': 'totp',
};

const PBKDF2_URIS = new Set([
  'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2',
  'http://www.w3.org/2009/xmlenc11#pbkdf2',
]);

/** Response lengths an OTP code can have (RFC 4226 §5.3 allows 6 to 8; see otp/hotp.ts). */
const MIN_DIGITS = 6;
const MAX_DIGITS = 8;

// Entities are never expanded (no DTD); the five predefined ones and character references are
// decoded by `decodeXmlText` for the strings we keep. Values stay text; declarations and
// processing instructions are dropped. Both parsers below share these.
const SAFE = {
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
} as const;

const parser = new XMLParser({
  ...SAFE,
  removeNSPrefix: true,
  trimValues: true,
  alwaysCreateTextNode: true,
  isArray: (_name, _jpath, _isLeaf, isAttribute) => !isAttribute,
});

// Second, shallow pass that keeps prefixes and xmlns attributes: only to check the root namespace.
const rootParser = new XMLParser({ ...SAFE, stopNodes: ['*.*'] });

type XmlNode = Record<string, unknown>;

function invalid(message: string): AppError {
  return new AppError('PSKC_INVALID', message);
}

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** All child elements called `name` (the parser makes every element an array). */
function childrenOf(node: XmlNode, name: string): XmlNode[] {
  if (!Object.hasOwn(node, name)) return [];
  const value = node[name];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (isNode(item) ? item : { '#text': String(item ?? '') }));
}

/** The single child element `name`, or undefined; more than one is invalid. */
function childOf(node: XmlNode, name: string, where: string): XmlNode | undefined {
  const list = childrenOf(node, name);
  if (list.length > 1) throw invalid(`${where}: more than one <${name}> element`);
  return list[0];
}

function pathOf(node: XmlNode, names: readonly string[], where: string): XmlNode | undefined {
  let current: XmlNode | undefined = node;
  for (const name of names) {
    if (current === undefined) return undefined;
    current = childOf(current, name, where);
  }
  return current;
}

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = {
  lt: '<',
  gt: '>',
  amp: '&',
  quot: '"',
  apos: "'",
};

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Decodes predefined entities and character references; any other entity is refused. */
export function decodeXmlText(raw: string, where: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*);/g, (_match, ref: string) => {
    if (ref.startsWith('#')) {
      const cp = ref.startsWith('#x') ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
      if (!isXmlChar(cp)) throw invalid(`${where}: invalid character reference &${ref};`);
      return String.fromCodePoint(cp);
    }
    const decoded = Object.hasOwn(PREDEFINED_ENTITIES, ref) ? PREDEFINED_ENTITIES[ref] : undefined;
    if (decoded === undefined)
      throw invalid(`${where}: undefined entity &${ref}; (entities are not expanded)`);
    return decoded;
  });
}

function textOf(node: XmlNode | undefined, where: string): string {
  if (node === undefined) return '';
  const value = node['#text'];
  return typeof value === 'string' ? decodeXmlText(value, where).trim() : '';
}

function attrOf(node: XmlNode | undefined, name: string, where: string): string | undefined {
  if (node === undefined) return undefined;
  const key = `@_${name}`;
  if (!Object.hasOwn(node, key)) return undefined;
  const value = node[key];
  return typeof value === 'string' ? decodeXmlText(value, where).trim() : undefined;
}

function optionalText(node: XmlNode | undefined, where: string): string | undefined {
  const text = textOf(node, where);
  return text === '' ? undefined : text;
}

/** Strict base64: whitespace between characters is allowed (line wrapping), nothing else. */
function decodeBase64(raw: string, where: string): Buffer {
  const compact = raw.replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) {
    throw invalid(`${where}: not valid base64`);
  }
  return Buffer.from(compact, 'base64');
}

/** xs:integer, limited to safe JS integers. */
function parseInteger(raw: string, where: string): number {
  const trimmed = raw.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) throw invalid(`${where}: "${trimmed}" is not an integer`);
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) throw invalid(`${where}: ${trimmed} is out of range`);
  return value;
}

function integerAttr(node: XmlNode | undefined, name: string, where: string): number | undefined {
  const raw = attrOf(node, name, where);
  return raw === undefined ? undefined : parseInteger(raw, `${where} ${name}`);
}

/** Refuses what must never reach the parser: oversized input and DTDs (XXE, billion laughs). */
export function guardPskcInput(xml: unknown): string {
  if (typeof xml !== 'string') throw invalid('PSKC input must be a string of XML');
  const bytes = Buffer.byteLength(xml, 'utf8');
  if (bytes > MAX_PSKC_BYTES) {
    throw invalid(`PSKC input is ${bytes} bytes; the limit is ${MAX_PSKC_BYTES} bytes (5 MiB)`);
  }
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) {
    throw invalid('PSKC input contains a DOCTYPE or ENTITY declaration; these are refused');
  }
  return xml.startsWith('\uFEFF') ? xml.slice(1) : xml;
}

function parseXml(xml: string): XmlNode {
  const validation = XMLValidator.validate(xml);
  if (validation !== true) {
    const { msg, line } = validation.err;
    throw invalid(`PSKC input is not well-formed XML: ${msg} (line ${line})`);
  }
  let document: unknown;
  let shallow: unknown;
  try {
    document = parser.parse(xml);
    shallow = rootParser.parse(xml);
  } catch (err) {
    throw invalid(
      `PSKC input could not be parsed as XML: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!isNode(document) || !isNode(shallow)) throw invalid('PSKC input is not an XML document');
  const rootNames = Object.keys(document);
  const shallowNames = Object.keys(shallow);
  const roots = rootNames.flatMap((name) => childrenOf(document, name));
  if (rootNames.length !== 1 || roots.length !== 1 || shallowNames.length !== 1) {
    throw invalid('PSKC input must have exactly one root element, KeyContainer');
  }
  const rootName = rootNames[0] as string;
  const root = roots[0] as XmlNode;
  if (rootName !== 'KeyContainer') {
    throw invalid(`PSKC input has root element <${rootName}>, not <KeyContainer>`);
  }
  checkRootNamespace(shallowNames[0] as string, shallow[shallowNames[0] as string]);
  return root;
}

function checkRootNamespace(qualifiedName: string, shallowRoot: unknown): void {
  const colon = qualifiedName.indexOf(':');
  const prefix = colon === -1 ? '' : qualifiedName.slice(0, colon);
  const attribute = prefix === '' ? '@_xmlns' : `@_xmlns:${prefix}`;
  const declared =
    isNode(shallowRoot) && Object.hasOwn(shallowRoot, attribute) ? shallowRoot[attribute] : undefined;
  const namespace = typeof declared === 'string' ? declared.trim() : undefined;
  if (namespace !== PSKC_NAMESPACE) {
    throw invalid(
      `KeyContainer is in namespace ${namespace === undefined ? '(none)' : `"${namespace}"`}, not the RFC 6030 namespace ${PSKC_NAMESPACE}`,
    );
  }
}

function parseEncryptedBlob(node: XmlNode, where: string, valueMac: Buffer | undefined): EncryptedBlob {
  const method = childOf(node, 'EncryptionMethod', where);
  const algorithm = attrOf(method, 'Algorithm', where);
  if (method === undefined || algorithm === undefined || algorithm === '') {
    throw invalid(`${where}: EncryptedValue has no EncryptionMethod Algorithm`);
  }
  const cipherData = childOf(node, 'CipherData', where);
  const cipherValueNode = cipherData === undefined ? undefined : childOf(cipherData, 'CipherValue', where);
  if (cipherValueNode === undefined) {
    throw invalid(
      `${where}: EncryptedValue has no CipherData/CipherValue (CipherReference is not supported)`,
    );
  }
  const cipherValue = decodeBase64(textOf(cipherValueNode, where), `${where} CipherValue`);
  if (cipherValue.length === 0) throw invalid(`${where}: CipherValue is empty`);
  return { algorithm, cipherValue, valueMac, where };
}

/** A Data child (Secret, Counter…): exactly one of PlainValue or EncryptedValue, plus ValueMAC. */
function parseDataValue<T>(
  node: XmlNode,
  where: string,
  hasMacMethod: boolean,
  decodePlain: (text: string, where: string) => T,
): DataValue<T> {
  const plain = childOf(node, 'PlainValue', where);
  const encrypted = childOf(node, 'EncryptedValue', where);
  const macNode = childOf(node, 'ValueMAC', where);
  if (plain !== undefined && encrypted !== undefined) {
    throw invalid(`${where}: has both PlainValue and EncryptedValue`);
  }
  if (plain !== undefined) return { kind: 'plain', value: decodePlain(textOf(plain, where), where) };
  if (encrypted === undefined) throw invalid(`${where}: has neither PlainValue nor EncryptedValue`);

  const valueMac =
    macNode === undefined ? undefined : decodeBase64(textOf(macNode, where), `${where} ValueMAC`);
  const blob = parseEncryptedBlob(encrypted, where, valueMac);
  if (valueMac !== undefined && !hasMacMethod) {
    throw invalid(`${where}: has a ValueMAC but the container has no MACMethod`);
  }
  if (cipherFromUri(blob.algorithm)?.mode === 'cbc' && (valueMac === undefined || !hasMacMethod)) {
    // RFC 6030 §6.1.1: CBC has no integrity of its own, so a ValueMAC MUST accompany it.
    throw invalid(
      `${where}: CBC-encrypted value without ValueMAC and MACMethod (RFC 6030 §6.1.1 requires a MAC)`,
    );
  }
  return { kind: 'encrypted', blob };
}

function parseEncryptionKey(root: XmlNode): EncryptionKeySpec {
  const where = 'EncryptionKey';
  const node = childOf(root, 'EncryptionKey', 'KeyContainer');
  if (node === undefined) return { kind: 'none' };
  const derived = childOf(node, 'DerivedKey', where);
  if (derived !== undefined) return parseDerivedKey(derived);
  const keyName = childOf(node, 'KeyName', where);
  if (keyName !== undefined) return { kind: 'pre-shared', keyName: optionalText(keyName, where) };
  const others = Object.keys(node).filter((k) => !k.startsWith('@_') && k !== '#text');
  if (others.length === 0) return { kind: 'pre-shared', keyName: undefined };
  return {
    kind: 'unsupported',
    description: `EncryptionKey uses ${others.join(', ')}; only a pre-shared key (KeyName) or a PBKDF2 DerivedKey is supported`,
  };
}

function parseDerivedKey(derived: XmlNode): EncryptionKeySpec {
  const where = 'EncryptionKey/DerivedKey';
  const method = childOf(derived, 'KeyDerivationMethod', where);
  if (method === undefined) throw invalid(`${where}: has no KeyDerivationMethod`);
  const algorithm = attrOf(method, 'Algorithm', where) ?? '';
  if (!PBKDF2_URIS.has(algorithm)) {
    return {
      kind: 'unsupported',
      description: `key derivation ${algorithm || '(none)'} is not supported (PBKDF2 is)`,
    };
  }
  const params = childOf(method, 'PBKDF2-params', where);
  if (params === undefined) throw invalid(`${where}: PBKDF2 without PBKDF2-params`);
  const salt = pathOf(params, ['Salt', 'Specified'], where);
  if (salt === undefined) throw invalid(`${where}: PBKDF2-params has no Salt/Specified`);
  const saltBytes = decodeBase64(textOf(salt, where), `${where} Salt`);
  const iterationNode = childOf(params, 'IterationCount', where);
  if (iterationNode === undefined) throw invalid(`${where}: PBKDF2-params has no IterationCount`);
  const iterationCount = parseInteger(textOf(iterationNode, where), `${where} IterationCount`);
  if (iterationCount < 1 || iterationCount > MAX_PBKDF2_ITERATIONS) {
    throw invalid(`${where}: IterationCount ${iterationCount} is outside 1..${MAX_PBKDF2_ITERATIONS}`);
  }
  const keyLengthNode = childOf(params, 'KeyLength', where);
  const keyLength =
    keyLengthNode === undefined
      ? undefined
      : parseInteger(textOf(keyLengthNode, where), `${where} KeyLength`);
  if (keyLength !== undefined && ![16, 24, 32].includes(keyLength)) {
    throw invalid(`${where}: KeyLength ${keyLength} is not an AES key size (16, 24 or 32)`);
  }
  const prfUri = attrOf(childOf(params, 'PRF', where), 'Algorithm', where);
  let prf: HmacHash = 'sha1';
  if (prfUri !== undefined && prfUri !== '') {
    const named = hmacHashFromUri(prfUri);
    if (named === undefined)
      return { kind: 'unsupported', description: `PBKDF2 PRF ${prfUri} is not supported` };
    prf = named;
  }
  return { kind: 'pbkdf2', params: { salt: saltBytes, iterationCount, keyLength, prf } };
}

function parseMacMethod(root: XmlNode): MacMethodSpec | undefined {
  const where = 'MACMethod';
  const node = childOf(root, 'MACMethod', 'KeyContainer');
  if (node === undefined) return undefined;
  const algorithm = attrOf(node, 'Algorithm', where);
  if (algorithm === undefined || algorithm === '') throw invalid(`${where}: has no Algorithm`);
  const hash = hmacHashFromUri(algorithm);
  if (hash === undefined) throw invalid(`${where}: unsupported MAC algorithm ${algorithm}`);
  const macKey = childOf(node, 'MACKey', where);
  if (macKey === undefined) throw invalid(`${where}: has no MACKey (MACKeyReference is not supported)`);
  return { hash, macKey: parseEncryptedBlob(macKey, `${where}/MACKey`, undefined) };
}

function parseHash(raw: string, where: string): PskcHashAlgorithm {
  const normalized = raw
    .trim()
    .toUpperCase()
    .replace(/^HMAC[-_]?/, '')
    .replace(/[-_]/g, '');
  if (normalized === 'SHA1' || normalized === 'SHA256' || normalized === 'SHA512') return normalized;
  throw invalid(`${where}: unsupported hash or suite "${raw}" (SHA1, SHA256 or SHA512)`);
}

/** Suite element text ("HMAC-SHA256") and/or its hash attribute; SHA1 when absent. */
function parseSuite(params: XmlNode | undefined, where: string): PskcHashAlgorithm {
  const suite = params === undefined ? undefined : childOf(params, 'Suite', where);
  if (suite === undefined) return 'SHA1';
  const candidates = [attrOf(suite, 'hash', where), optionalText(suite, where)].filter(
    (v): v is string => v !== undefined && v !== '',
  );
  const hashes = candidates.map((c) => parseHash(c, `${where} Suite`));
  const [first] = hashes;
  if (first === undefined) return 'SHA1';
  if (hashes.some((h) => h !== first)) throw invalid(`${where}: Suite names two different hashes`);
  return first;
}

function integerData(
  key: XmlNode,
  name: string,
  label: string,
  hasMacMethod: boolean,
): DataValue<number> | undefined {
  const where = `${label} Data/${name}`;
  const node = pathOf(key, ['Data', name], where);
  if (node === undefined) return undefined;
  return parseDataValue(node, where, hasMacMethod, parseInteger);
}

function parseKeyPackage(pkg: XmlNode, index: number, hasMacMethod: boolean): ParsedKeyPackage {
  const base = `key package ${index}`;
  const deviceInfo = childOf(pkg, 'DeviceInfo', base);
  const keys = childrenOf(pkg, 'Key');
  if (keys.length !== 1) throw invalid(`${base}: must hold exactly one <Key>, found ${keys.length}`);
  const key = keys[0] as XmlNode;

  const serial =
    optionalText(deviceInfo === undefined ? undefined : childOf(deviceInfo, 'SerialNo', base), base) ??
    (attrOf(key, 'Id', base) || undefined);
  const label = serial === undefined ? base : `${base} (serial ${serial})`;

  // Integers first: a value that is not an integer is refused whatever else is wrong.
  const params = childOf(key, 'AlgorithmParameters', label);
  const responseFormat = params === undefined ? undefined : childOf(params, 'ResponseFormat', label);
  const digits = integerAttr(responseFormat, 'Length', `${label} ResponseFormat`);
  const challengeFormat = params === undefined ? undefined : childOf(params, 'ChallengeFormat', label);
  integerAttr(challengeFormat, 'Min', `${label} ChallengeFormat`);
  integerAttr(challengeFormat, 'Max', `${label} ChallengeFormat`);
  const policy = childOf(key, 'Policy', label);
  const pinPolicy = policy === undefined ? undefined : childOf(policy, 'PINPolicy', label);
  for (const name of ['MinLength', 'MaxLength', 'MaxFailedAttempts']) {
    integerAttr(pinPolicy, name, `${label} PINPolicy`);
  }
  const transactions = policy === undefined ? undefined : childOf(policy, 'NumberOfTransactions', label);
  if (transactions !== undefined) {
    parseInteger(textOf(transactions, label), `${label} Policy/NumberOfTransactions`);
  }
  const counter = integerData(key, 'Counter', label, hasMacMethod);
  const timeInterval = integerData(key, 'TimeInterval', label, hasMacMethod);
  integerData(key, 'Time', label, hasMacMethod);
  integerData(key, 'TimeDrift', label, hasMacMethod);

  if (serial === undefined) throw invalid(`${base}: has no serial (DeviceInfo/SerialNo or Key Id)`);

  const algorithmUri = attrOf(key, 'Algorithm', label);
  if (algorithmUri === undefined || algorithmUri === '') throw invalid(`${label}: Key has no Algorithm`);
  const type = Object.hasOwn(KEY_ALGORITHMS, algorithmUri) ? KEY_ALGORITHMS[algorithmUri] : undefined;
  if (type === undefined) {
    throw invalid(
      `${label}: Key Algorithm ${algorithmUri} is not an OTP algorithm (only HOTP and TOTP are held)`,
    );
  }

  const encoding = attrOf(responseFormat, 'Encoding', label);
  if (encoding !== undefined && encoding.toUpperCase() !== 'DECIMAL') {
    throw invalid(`${label}: ResponseFormat Encoding ${encoding} is not DECIMAL`);
  }
  const resolvedDigits = digits ?? 6;
  if (resolvedDigits < MIN_DIGITS || resolvedDigits > MAX_DIGITS) {
    throw invalid(
      `${label}: ResponseFormat Length ${resolvedDigits} is outside ${MIN_DIGITS}..${MAX_DIGITS}`,
    );
  }
  const algorithm = parseSuite(params, label);

  const secretNode = pathOf(key, ['Data', 'Secret'], label);
  if (secretNode === undefined) throw invalid(`${label}: has no Data/Secret`);
  const secret = parseDataValue(secretNode, `${label} Secret`, hasMacMethod, (text, where) =>
    decodeBase64(text, where),
  );

  return {
    index,
    label,
    serial,
    type,
    algorithm,
    digits: resolvedDigits,
    secret,
    counter,
    timeInterval,
    manufacturer: optionalText(deviceInfo && childOf(deviceInfo, 'Manufacturer', label), label),
    model: optionalText(deviceInfo && childOf(deviceInfo, 'Model', label), label),
    issuer: optionalText(childOf(key, 'Issuer', label), label),
    friendlyName: optionalText(childOf(key, 'FriendlyName', label), label),
  };
}

/**
 * Parses and structurally validates an RFC 6030 PSKC document. Nothing is decrypted here; every
 * KeyPackage must be an HOTP/TOTP key with a serial, and serials must be unique in the file.
 */
export function parsePskc(input: string): ParsedContainer {
  const xml = guardPskcInput(input);
  const root = parseXml(xml);

  const version = attrOf(root, 'Version', 'KeyContainer');
  if (version !== '1.0') {
    throw invalid(
      version === undefined
        ? 'KeyContainer has no Version attribute (expected 1.0)'
        : `KeyContainer Version "${version}" is not supported (expected 1.0)`,
    );
  }

  const encryptionKey = parseEncryptionKey(root);
  const macMethod = parseMacMethod(root);
  const packageNodes = childrenOf(root, 'KeyPackage');
  if (packageNodes.length === 0) throw invalid('KeyContainer holds no KeyPackage');
  const packages = packageNodes.map((node, i) => parseKeyPackage(node, i + 1, macMethod !== undefined));

  const firstBySerial = new Map<string, number>();
  for (const pkg of packages) {
    const first = firstBySerial.get(pkg.serial);
    if (first !== undefined) {
      throw new AppError(
        'PSKC_DUPLICATE_SERIAL',
        `serial ${pkg.serial} appears in key package ${first} and key package ${pkg.index}`,
      );
    }
    firstBySerial.set(pkg.serial, pkg.index);
  }
  return { encryptionKey, macMethod, packages };
}
