import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { get_dmmf } from '@prisma/prisma-schema-wasm';

/** The subset of Prisma's DMMF this test reads (from Prisma's own schema parser, offline, in WebAssembly). */
export interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  hasDefaultValue: boolean;
  default?: { name?: string; args?: unknown[] } | string | number | boolean;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}
export interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
export interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string }[];
}
/**
 * A field declared `Unsupported("type")` (e.g. a generated tsvector column). Prisma's DMMF leaves these
 * out of the model's fields (the client cannot read or write them) but keeps indexes on them, so they are
 * read from the schema text to compare them too.
 */
export interface UnsupportedField {
  model: string;
  name: string;
  column: string;
  /** The database type as written, e.g. `tsvector`. */
  type: string;
  isRequired: boolean;
}
export interface Dmmf {
  models: DmmfModel[];
  enums: { name: string; values: { name: string }[] }[];
  indexes: DmmfIndex[];
  unsupported?: UnsupportedField[];
}

export const schemaPath = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url));

export function loadDmmf(schema = readFileSync(schemaPath, 'utf8')): Dmmf {
  const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: schema }))).datamodel as Dmmf;
  return { ...dmmf, unsupported: unsupportedFields(schema) };
}

/** `name Unsupported("type")[?] ... @map("column")` lines of each model block. */
export function unsupportedFields(schema: string): UnsupportedField[] {
  const found: UnsupportedField[] = [];
  for (const block of schema.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const [, model = '', body = ''] = block;
    for (const line of body.matchAll(/^\s*(\w+)\s+Unsupported\("([^"]+)"\)(\?)?([^\n]*)$/gm)) {
      const [, name = '', type = '', optional, rest = ''] = line;
      const column = /@map\("([^"]+)"\)/.exec(rest)?.[1] ?? name;
      found.push({ model, name, column, type, isRequired: optional !== '?' });
    }
  }
  return found;
}

export const tableOf = (m: DmmfModel) => m.dbName ?? m.name;
export const columnOf = (f: DmmfField) => f.dbName ?? f.name;
