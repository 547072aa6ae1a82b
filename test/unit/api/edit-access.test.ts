import { ownerOrAdminMayEdit } from '../../../functions/lib/api/edit-access';
import type { JobRecord } from '../../../functions/lib/contracts/job';

const job = (owner?: string) => ({ jobId: 'j', ...(owner ? { owner } : {}) }) as JobRecord;
const caller = (subject: string, groups: string[] = []) => ({ subject, groups, via: 'jwt' as const });

describe('who may edit captions', () => {
  it('is the owner or an admin; a job without an owner is for admins only', () => {
    expect(ownerOrAdminMayEdit.mayEdit(caller('dana'), job('dana'))).toBe(true);
    expect(ownerOrAdminMayEdit.mayEdit(caller('ana'), job('dana'))).toBe(false);
    expect(ownerOrAdminMayEdit.mayEdit(caller('ana', ['admins']), job('dana'))).toBe(true);
    expect(ownerOrAdminMayEdit.mayEdit(caller('ana'), job())).toBe(false);
    expect(ownerOrAdminMayEdit.mayEdit(caller('ana', ['admins']), job())).toBe(true);
  });
});
