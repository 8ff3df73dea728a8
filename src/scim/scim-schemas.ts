/** The SCIM schemas this server speaks (RFC 7643 §4, §8.7): one description drives discovery,
 * attribute resolution, canonical names, type checks and mutability. */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
/** Portcullis's own User extension: what no standard schema has (RFC 7643 §3.3). */
export const PORTCULLIS_SCHEMA = 'urn:ietf:params:scim:schemas:extension:portcullis:2.0:User';

export type AttrType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'complex';

/** One attribute as RFC 7643 §7 describes it, plus how this server treats writes to it. */
export interface AttrDef {
  name: string;
  type: AttrType;
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact: boolean;
  mutability: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned: 'always' | 'never' | 'default' | 'request';
  uniqueness: 'none' | 'server' | 'global';
  subAttributes?: AttrDef[];
  referenceTypes?: string[];
  canonicalValues?: string[];
  /** Derived by the server: writes are accepted and dropped (e.g. name.formatted). */
  derived?: boolean;
  /** Known sub-attributes this server does not keep: accepted and dropped. */
  ignoredSubs?: string[];
}

/** A schema: its attributes, and the standard ones it accepts but does not keep. */
export interface SchemaDef {
  id: string;
  name: string;
  description: string;
  attributes: AttrDef[];
  ignored: string[];
}

/** A resource type with its core schema, extensions and the common attributes (§3.1). */
export interface ResourceTypeDef {
  name: 'User' | 'Group';
  endpoint: string;
  description: string;
  core: SchemaDef;
  extensions: SchemaDef[];
  common: AttrDef[];
}

type Opts = Partial<Omit<AttrDef, 'name' | 'description'>>;

function attr(name: string, description: string, opts: Opts = {}): AttrDef {
  return {
    name,
    type: 'string',
    multiValued: false,
    description,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...opts,
  };
}

const ref = (types: string[], opts: Opts = {}) => ({
  type: 'reference' as const,
  referenceTypes: types,
  ...opts,
});
const readOnly = { mutability: 'readOnly' } as const;

/** id, externalId and meta: every resource has them (RFC 7643 §3.1). */
const COMMON: AttrDef[] = [
  attr('id', 'Unique identifier assigned by the service provider.', {
    ...readOnly,
    caseExact: true,
    returned: 'always',
    uniqueness: 'server',
  }),
  attr('externalId', 'Identifier assigned by the provisioning client.', {
    caseExact: true,
    uniqueness: 'server',
  }),
  attr('meta', 'Resource metadata.', {
    type: 'complex',
    ...readOnly,
    subAttributes: [
      attr('resourceType', 'The resource type.', { ...readOnly, caseExact: true }),
      attr('created', 'When the resource was added.', { type: 'dateTime', ...readOnly }),
      attr('lastModified', 'When the resource last changed.', { type: 'dateTime', ...readOnly }),
      attr('location', 'The resource URI.', ref(['uri'], readOnly)),
      attr('version', 'The resource version (weak ETag).', { ...readOnly, caseExact: true }),
    ],
  }),
];

const USER: SchemaDef = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    attr('userName', 'Unique identifier for the User, used to sign in. Unique regardless of case.', {
      required: true,
      uniqueness: 'server',
    }),
    attr('name', "The components of the user's name.", {
      type: 'complex',
      subAttributes: [
        attr('formatted', 'The full name (derived from givenName and familyName).', { derived: true }),
        attr('familyName', 'The family name.'),
        attr('givenName', 'The given name.'),
      ],
      ignoredSubs: ['middleName', 'honorificPrefix', 'honorificSuffix'],
    }),
    attr('displayName', 'The name displayed to end users.'),
    attr('title', "The user's title, such as 'Vice President'."),
    attr('active', 'Whether the person may sign in. False is the leaver event.', { type: 'boolean' }),
    attr('password', 'The sign-in password. Write-only: never returned.', {
      mutability: 'writeOnly',
      returned: 'never',
    }),
    attr('emails', 'Email addresses; this server keeps one, the primary (else work, else first).', {
      type: 'complex',
      multiValued: true,
      subAttributes: [
        attr('value', 'The email address.'),
        attr('display', 'A display name.'),
        attr('type', 'The kind of address.', { canonicalValues: ['work', 'home', 'other'] }),
        attr('primary', 'Whether this is the primary address.', { type: 'boolean' }),
      ],
    }),
    attr('groups', 'Groups the user belongs to (read-only; change them through Groups).', {
      type: 'complex',
      multiValued: true,
      ...readOnly,
      subAttributes: [
        attr('value', 'The group id.', { ...readOnly, caseExact: true }),
        attr('$ref', 'The group URI.', ref(['Group'], readOnly)),
        attr('display', 'The group name.', readOnly),
        attr('type', 'direct', { ...readOnly, canonicalValues: ['direct', 'indirect'] }),
      ],
    }),
  ],
  ignored: [
    'nickName',
    'profileUrl',
    'userType',
    'preferredLanguage',
    'locale',
    'timezone',
    'phoneNumbers',
    'ims',
    'photos',
    'addresses',
    'entitlements',
    'roles',
    'x509Certificates',
  ],
};

const ENTERPRISE: SchemaDef = {
  id: ENTERPRISE_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    attr('employeeNumber', 'Identifier of the person in the organisation.'),
    attr('department', 'Name of a department.'),
    attr('manager', "The user's manager (the id of another User).", {
      type: 'complex',
      subAttributes: [
        attr('value', 'The id of the manager.', { caseExact: true }),
        attr('$ref', 'The URI of the manager.', ref(['User'], readOnly)),
        attr('displayName', 'The manager’s displayName.', readOnly),
      ],
    }),
  ],
  ignored: ['costCenter', 'organization', 'division'],
};

/**
 * The start date: neither the core nor the enterprise schema has one. A full-date (RFC 3339
 * `YYYY-MM-DD`; SCIM has no date type, so it is a string); a date-time at midnight UTC is taken
 * as its date. It drives the joiner's day-one pass and when the grace period starts.
 */
const PORTCULLIS: SchemaDef = {
  id: PORTCULLIS_SCHEMA,
  name: 'PortcullisUser',
  description: 'Portcullis User',
  attributes: [
    attr(
      'startDate',
      "The person's first working day, a full-date YYYY-MM-DD. Enrolment deadlines and reminders count from it while it is ahead.",
    ),
  ],
  ignored: [],
};

const GROUP: SchemaDef = {
  id: GROUP_SCHEMA,
  name: 'Group',
  description: 'Group',
  attributes: [
    attr('displayName', 'A name for the Group, unique regardless of case.', {
      required: true,
      uniqueness: 'server',
    }),
    attr('members', 'The members (Users) of the Group.', {
      type: 'complex',
      multiValued: true,
      subAttributes: [
        attr('value', 'The id of a User.', { caseExact: true, mutability: 'immutable' }),
        attr('$ref', 'The URI of the User.', ref(['User'], readOnly)),
        attr('display', 'The member’s displayName.', readOnly),
        attr('type', 'The kind of member.', { mutability: 'immutable', canonicalValues: ['User'] }),
      ],
    }),
  ],
  ignored: [],
};

export const USER_RESOURCE: ResourceTypeDef = {
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  core: USER,
  extensions: [ENTERPRISE, PORTCULLIS],
  common: COMMON,
};

export const GROUP_RESOURCE: ResourceTypeDef = {
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  core: GROUP,
  extensions: [],
  common: COMMON,
};

export const RESOURCE_TYPES = [USER_RESOURCE, GROUP_RESOURCE] as const;
