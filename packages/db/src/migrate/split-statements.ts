/**
 * Splits a SQL script into its statements at top-level semicolons, the way psql does: semicolons in
 * '…' and E'…' strings, "…" identifiers, $tag$…$tag$ bodies, -- and (nested) /* *\/ comments do not
 * count. Statements that are only comments or blanks are dropped. Needed for `-- qt:no-transaction`
 * migrations: PostgreSQL runs a multi-statement query string as one implicit transaction block, where
 * CREATE INDEX CONCURRENTLY and the like refuse to run, so each statement must be sent on its own.
 * (SQL-standard `BEGIN ATOMIC … END` function bodies are not understood: use a dollar-quoted body.)
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let meaningful = false; // the current statement has something besides blanks and comments
  let i = 0;
  const push = (end: number) => {
    if (meaningful) statements.push(sql.slice(start, end).trim());
    start = end + 1;
    meaningful = false;
  };
  while (i < sql.length) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? sql.length : eol + 1;
    } else if (ch === '/' && next === '*') {
      let depth = 1;
      i += 2;
      while (i < sql.length && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (ch === "'" || ch === '"') {
      meaningful = true;
      const escapes =
        ch === "'" && i > 0 && /[eE]/.test(sql[i - 1] as string) && !/\w/.test(sql[i - 2] ?? ' ');
      i++;
      while (i < sql.length) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === ch && sql[i + 1] === ch)
          i += 2; // '' or "" inside
        else if (sql[i] === ch) break;
        else i++;
      }
      i++;
    } else if (ch === '$' && !/[\w$]/.test(sql[i - 1] ?? ' ')) {
      meaningful = true;
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const close = sql.indexOf(tag, i + tag.length);
        i = close === -1 ? sql.length : close + tag.length;
      } else i++; // $1 and the like
    } else if (ch === ';') {
      push(i);
      i++;
    } else {
      if (!/\s/.test(ch)) meaningful = true;
      i++;
    }
  }
  push(sql.length);
  return statements;
}
