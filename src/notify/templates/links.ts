/**
 * Where each mail's action link points, under PUBLIC_URL: the pages that own these paths
 * (enrolment and self-service from the SSO face, the console) must keep them.
 */
export const mailPaths = {
  /** The invitation's single-use enrolment link. */
  enrol: (token: string) => `/enroll/${encodeURIComponent(token)}`,
  /** The self-service portal: review one's own factors. */
  account: () => '/account',
  /** A policy exception's page in the admin console. */
  exception: (id: string) => `/console/exceptions/${encodeURIComponent(id)}`,
  /** A person's page in the admin console. */
  person: (id: string) => `/console/people/${encodeURIComponent(id)}`,
};
