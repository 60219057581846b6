// TODO: split this module (web/src/app.ts)
import { render } from "./view";

const routes = /\/\/ TODO|"FIXME"/g; // XXX: a regex literal may hold // and quotes
const ratio = total / count; // HACK: division, not a regex
declare const total: number, count: number;

export function banner(user: string, admin: boolean): string {
  const note = "// TODO: in a string";
  return `Hello ${user} ${admin ? `(admin, ${"FIXME in a nested string"})` : "// not a comment"} // TODO template text`;
}

/*
 * FIXME: the template above is
 * hard to read.
 */
export const view = render(banner("ana", true), ratio, routes); /* TODO inline */

const multiline = `
// TODO: template literal content
${/* HACK: a comment inside a substitution */ "x"}
`;
export default multiline;
