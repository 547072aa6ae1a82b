/** AWS-managed policies the module may attach, with why (the simulation cannot render them). */
export const ALLOWED_MANAGED_POLICIES: ReadonlyMap<string, string> = new Map([
  ['AmazonSSMManagedInstanceCore', 'Session Manager replaces SSH on the lip-reading instance (no key pair).'],
]);
