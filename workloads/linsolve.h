/* linsolve.h — a small dense linear system, for the least-squares fits'
 * normal equations (harness/estimate.c's call model, the fpga resource
 * model of targets/fpga/fpga_resmodel.c). */
#ifndef RB_LINSOLVE_H
#define RB_LINSOLVE_H

#define RB_LINSOLVE_MAX 8 /* unknowns, at most */

/* Solve the k x k system a x = b in place (Gauss-Jordan with partial
 * pivoting): b becomes x.  -1, a and b spoiled, when a pivot is not above
 * tiny in magnitude (the system is singular at that scale). */
int rb_linsolve(int k, double a[][RB_LINSOLVE_MAX], double *b, double tiny);

#endif
