/** The scope that may act in any tenant (naming it with `?tenant=`), read the audit trail and use the local admin endpoints. */
export const ADMIN_SCOPE = 'admin';
