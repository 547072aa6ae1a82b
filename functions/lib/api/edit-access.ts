import { isAdmin } from '../access/ownership';
import type { EditAccess } from './edit-routes';

/**
 * Who may change a job's captions: its owner, or a member of the admins group. A job with
 * no owner (an operator's `aws s3 cp`) is edited by admins only, as it is seen by them only.
 */
export const ownerOrAdminMayEdit: EditAccess = {
  mayEdit: (caller, job) => isAdmin(caller) || (job.owner !== undefined && job.owner === caller.subject),
};
