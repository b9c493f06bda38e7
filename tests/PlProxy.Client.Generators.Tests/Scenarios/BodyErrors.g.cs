// PLPX2004 at 9:31: UnknownArgumentAsync: Compile error at line 1: invalid argument reference: nobody
// PLPX2005 at 12:15: AllWithoutASetAsync: Compile error at line 1: RUN ON ALL requires set-returning function
