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
export interface Dmmf {
  models: DmmfModel[];
  enums: { name: string; values: { name: string }[] }[];
  indexes: DmmfIndex[];
}

export const schemaPath = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url));

export function loadDmmf(schema = readFileSync(schemaPath, 'utf8')): Dmmf {
  return JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: schema }))).datamodel as Dmmf;
}

export const tableOf = (m: DmmfModel) => m.dbName ?? m.name;
export const columnOf = (f: DmmfField) => f.dbName ?? f.name;
