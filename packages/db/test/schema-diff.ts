import type pg from 'pg';
import { timeSeriesRelations } from '../src/timeseries/tables.ts';
import { columnOf, type Dmmf, type DmmfField, type DmmfModel, tableOf } from './schema-dmmf.ts';

/** Tables created by SQL migrations on purpose, outside Prisma (time series written with COPY). */
export const sqlManagedTables = new Set<string>(['_prisma_migrations', ...timeSeriesRelations]);

/**
 * The SQL-managed tables plus their partitions (the time-series tables' daily/weekly partitions come and
 * go at runtime, see src/timeseries/partitions.ts). TimescaleDB chunks and continuous aggregates live
 * outside `public` or are views, so they never reach the comparison.
 */
async function sqlManagedIn(client: pg.Client): Promise<Set<string>> {
  const { rows } = await client.query<{ name: string }>(
    `WITH RECURSIVE parts AS (
       SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY($1::text[])
       UNION
       SELECT c.oid, c.relname FROM parts p JOIN pg_inherits i ON i.inhparent = p.oid JOIN pg_class c ON c.oid = i.inhrelid
     ) SELECT relname AS name FROM parts`,
    [[...sqlManagedTables]],
  );
  return new Set([...sqlManagedTables, ...rows.map((r) => r.name)]);
}

interface Column {
  table: string;
  column: string;
  data_type: string;
  udt_name: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
  numeric_precision: number | null;
  numeric_scale: number | null;
  datetime_precision: number | null;
}

/** What PostgreSQL type Prisma gives a field, as information_schema spells it. */
function expectedType(f: DmmfField, enums: Set<string>): { udt: string; precision?: number; scale?: number } {
  if (f.kind === 'enum' || enums.has(f.type)) return { udt: f.type };
  const native = f.nativeType?.[0];
  const args = (f.nativeType?.[1] ?? []).map(Number);
  switch (f.type) {
    case 'String':
      return { udt: native === 'Uuid' ? 'uuid' : native === 'VarChar' ? 'varchar' : 'text' };
    case 'Int':
      return { udt: 'int4' };
    case 'BigInt':
      return { udt: 'int8' };
    case 'Float':
      return { udt: 'float8' };
    case 'Boolean':
      return { udt: 'bool' };
    case 'Bytes':
      return { udt: 'bytea' };
    case 'Json':
      return { udt: 'jsonb' };
    case 'Decimal':
      return { udt: 'numeric', precision: args[0] ?? 65, scale: args[1] ?? 30 };
    case 'DateTime':
      if (native === 'Date') return { udt: 'date', precision: 0 };
      return { udt: native === 'Timestamptz' ? 'timestamptz' : 'timestamp', precision: args[0] ?? 3 };
    default:
      return { udt: `unknown:${f.type}` };
  }
}

/** Every way the migrated database differs from schema.prisma, as readable lines (empty: they agree). */
export async function diffSchema(client: pg.Client, dmmf: Dmmf): Promise<string[]> {
  const problems: string[] = [];
  const enumNames = new Set(dmmf.enums.map((e) => e.name));
  const modelByName = new Map(dmmf.models.map((m) => [m.name, m]));
  const managed = await sqlManagedIn(client);

  const { rows: tables } = await client.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const dbTables = new Set(tables.map((t) => t.table_name));
  for (const m of dmmf.models)
    if (!dbTables.has(tableOf(m))) problems.push(`table ${tableOf(m)} (model ${m.name}) is missing`);
  const modelTables = new Set(dmmf.models.map(tableOf));
  for (const t of dbTables) {
    if (!modelTables.has(t) && !managed.has(t)) problems.push(`table ${t} exists but no model maps to it`);
  }

  const { rows: columns } = await client.query<Column>(
    `SELECT table_name AS table, column_name AS column, data_type, udt_name, is_nullable, column_default,
            numeric_precision, numeric_scale, datetime_precision
       FROM information_schema.columns WHERE table_schema = 'public'`,
  );
  const byTable = new Map<string, Map<string, Column>>();
  for (const c of columns) {
    const t = byTable.get(c.table) ?? new Map<string, Column>();
    t.set(c.column, c);
    byTable.set(c.table, t);
  }
  for (const m of dmmf.models) {
    const dbCols = byTable.get(tableOf(m)) ?? new Map<string, Column>();
    const scalars = m.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
    for (const f of scalars) {
      const where = `${m.name}.${f.name} (${tableOf(m)}.${columnOf(f)})`;
      const c = dbCols.get(columnOf(f));
      if (!c) {
        problems.push(`${where}: column missing`);
        continue;
      }
      const want = expectedType(f, enumNames);
      const udt = f.isList ? c.udt_name.replace(/^_/, '') : c.udt_name;
      if (f.isList !== (c.data_type === 'ARRAY'))
        problems.push(`${where}: list ${f.isList} but column is ${c.data_type}`);
      if (udt !== want.udt) problems.push(`${where}: type ${udt}, schema says ${want.udt}`);
      if (
        want.udt === 'numeric' &&
        (c.numeric_precision !== want.precision || c.numeric_scale !== want.scale)
      ) {
        problems.push(
          `${where}: numeric(${c.numeric_precision},${c.numeric_scale}), schema says (${want.precision},${want.scale})`,
        );
      }
      if (
        (want.udt === 'timestamptz' || want.udt === 'timestamp') &&
        c.datetime_precision !== want.precision
      ) {
        problems.push(`${where}: precision ${c.datetime_precision}, schema says ${want.precision}`);
      }
      // Prisma makes list columns nullable in SQL whatever the schema says.
      if (!f.isList && (c.is_nullable === 'NO') !== f.isRequired) {
        problems.push(`${where}: nullable=${c.is_nullable}, schema says required=${f.isRequired}`);
      }
      const dbDefault = f.hasDefaultValue && !isClientSideDefault(f);
      if (dbDefault !== (c.column_default !== null)) {
        problems.push(
          `${where}: database default ${c.column_default ?? 'none'}, schema ${dbDefault ? 'has one' : 'has none'}`,
        );
      }
    }
    const known = new Set(scalars.map(columnOf));
    // Unsupported("type") fields (not in the DMMF's fields): the column must exist with that type and
    // nullability. A generated column has no column_default (its expression is generation_expression).
    for (const u of dmmf.unsupported ?? []) {
      if (u.model !== m.name) continue;
      const where = `${m.name}.${u.name} (${tableOf(m)}.${u.column})`;
      const c = dbCols.get(u.column);
      known.add(u.column);
      if (!c) {
        problems.push(`${where}: column missing`);
        continue;
      }
      if (c.udt_name !== u.type) problems.push(`${where}: type ${c.udt_name}, schema says ${u.type}`);
      if ((c.is_nullable === 'NO') !== u.isRequired)
        problems.push(`${where}: nullable=${c.is_nullable}, schema says required=${u.isRequired}`);
    }
    for (const col of dbCols.keys())
      if (!known.has(col)) problems.push(`${tableOf(m)}.${col}: column not in model ${m.name}`);
  }

  problems.push(...(await diffEnums(client, dmmf)));
  problems.push(...(await diffIndexes(client, dmmf, modelByName, managed)));
  problems.push(...(await diffForeignKeys(client, dmmf, modelByName)));
  return problems;
}

/** uuid(), cuid(), @updatedAt and the like are filled in by the client, not the database. */
function isClientSideDefault(f: DmmfField): boolean {
  const d = f.default;
  return typeof d === 'object' && d !== null && ['uuid', 'cuid', 'nanoid', 'ulid'].includes(d.name ?? '');
}

async function diffEnums(client: pg.Client, dmmf: Dmmf): Promise<string[]> {
  const { rows } = await client.query<{ name: string; labels: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' GROUP BY t.typname`,
  );
  const db = new Map(rows.map((r) => [r.name, r.labels.join(',')]));
  const problems: string[] = [];
  for (const e of dmmf.enums) {
    const want = e.values.map((v) => v.name).join(',');
    if (db.get(e.name) !== want)
      problems.push(`enum ${e.name}: database has [${db.get(e.name) ?? 'nothing'}], schema [${want}]`);
    db.delete(e.name);
  }
  for (const name of db.keys()) problems.push(`enum ${name} exists in the database but not in the schema`);
  return problems;
}

async function diffIndexes(
  client: pg.Client,
  dmmf: Dmmf,
  models: Map<string, DmmfModel>,
  managed: Set<string>,
): Promise<string[]> {
  const { rows } = await client.query<{
    table: string;
    unique: boolean;
    primary: boolean;
    columns: string[];
  }>(
    `SELECT t.relname AS table, ix.indisunique AS unique, ix.indisprimary AS primary,
            array_agg(a.attname ORDER BY k.ord)::text[] AS columns
       FROM pg_index ix
       JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
      WHERE n.nspname = 'public'
      GROUP BY t.relname, ix.indexrelid, ix.indisunique, ix.indisprimary`,
  );
  const key = (table: string, kind: string, cols: string[]) => `${table}:${kind}:${cols.join(',')}`;
  const db = new Set(
    rows
      .filter((r) => !managed.has(r.table))
      .map((r) => key(r.table, r.primary ? 'id' : r.unique ? 'unique' : 'normal', r.columns)),
  );
  const problems: string[] = [];
  for (const idx of dmmf.indexes) {
    const m = models.get(idx.model);
    if (!m) continue;
    const unsupported = (dmmf.unsupported ?? []).filter((u) => u.model === m.name);
    const cols = idx.fields.map(
      (f) =>
        unsupported.find((u) => u.name === f.name)?.column ??
        columnOf(m.fields.find((x) => x.name === f.name) ?? ({ name: f.name } as DmmfField)),
    );
    const k = key(tableOf(m), idx.type, cols);
    if (!db.delete(k)) problems.push(`index ${k} is in the schema but not in the database`);
  }
  for (const k of db) problems.push(`index ${k} is in the database but not in the schema`);
  return problems;
}

async function diffForeignKeys(
  client: pg.Client,
  dmmf: Dmmf,
  models: Map<string, DmmfModel>,
): Promise<string[]> {
  const { rows } = await client.query<{
    table: string;
    columns: string[];
    target: string;
    target_columns: string[];
    on_delete: string;
  }>(
    `SELECT c.conrelid::regclass::text AS table, c.confrelid::regclass::text AS target,
            (SELECT array_agg(a.attname ORDER BY k.ord)::text[] FROM unnest(c.conkey) WITH ORDINALITY k(n, ord)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS columns,
            (SELECT array_agg(a.attname ORDER BY k.ord)::text[] FROM unnest(c.confkey) WITH ORDINALITY k(n, ord)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS target_columns,
            c.confdeltype AS on_delete
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE c.contype = 'f' AND n.nspname = 'public'`,
  );
  const deleteRule: Record<string, string> = {
    a: 'NoAction',
    r: 'Restrict',
    c: 'Cascade',
    n: 'SetNull',
    d: 'SetDefault',
  };
  const key = (t: string, cols: string[], target: string, tcols: string[], del: string) =>
    `${t}(${cols.join(',')}) -> ${target}(${tcols.join(',')}) on delete ${del}`;
  const db = new Set(
    rows.map((r) =>
      key(
        r.table.replaceAll('"', ''),
        r.columns,
        r.target.replaceAll('"', ''),
        r.target_columns,
        deleteRule[r.on_delete] ?? r.on_delete,
      ),
    ),
  );
  const problems: string[] = [];
  for (const m of dmmf.models) {
    for (const f of m.fields) {
      if (f.kind !== 'object' || !f.relationFromFields?.length) continue;
      const target = models.get(f.type);
      if (!target) continue;
      const cols = f.relationFromFields.map((n) => columnOf(m.fields.find((x) => x.name === n) as DmmfField));
      const tcols = (f.relationToFields ?? []).map((n) =>
        columnOf(target.fields.find((x) => x.name === n) as DmmfField),
      );
      const del = f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull');
      const k = key(tableOf(m), cols, tableOf(target), tcols, del);
      if (!db.delete(k)) problems.push(`foreign key ${k} is in the schema but not in the database`);
    }
  }
  for (const k of db) problems.push(`foreign key ${k} is in the database but not in the schema`);
  return problems;
}
