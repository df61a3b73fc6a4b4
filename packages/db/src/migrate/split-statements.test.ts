import { describe, expect, it } from 'vitest';
import { splitStatements } from './split-statements.ts';

describe('splitStatements', () => {
  it('splits at top-level semicolons and drops blank and comment-only statements', () => {
    expect(
      splitStatements('-- qt:no-transaction\nSELECT 1;\n\n  SELECT 2 ;;\n-- trailing comment\n'),
    ).toEqual(['-- qt:no-transaction\nSELECT 1', 'SELECT 2']);
    expect(splitStatements('SELECT 3')).toEqual(['SELECT 3']);
    expect(splitStatements('  \n-- only; a comment\n/* and; this */ ')).toEqual([]);
  });

  it('keeps semicolons inside strings, identifiers, dollar quotes and comments', () => {
    const statements = [
      `COMMENT ON TABLE "t" IS 'a;b ''c;'' d'`,
      `SELECT E'it\\'s; escaped', 'back\\'`,
      `CREATE INDEX "odd;name" ON "t"("a""b;")`,
      `CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$`,
      `CREATE FUNCTION g() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN RETURN $1; END; $body$`,
      `/* outer /* nested; */ still; comment */ SELECT 4`,
      `-- line; comment\nSELECT 5`,
      `SELECT $1, $2`,
    ];
    expect(splitStatements(statements.map((s) => `${s};\n`).join(''))).toEqual(statements);
  });
});
