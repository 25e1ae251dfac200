import type TestAgent from 'supertest/lib/agent';
import type Test from 'supertest/lib/test';

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

interface SchemaObject {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  maximum?: number;
  properties?: Record<string, SchemaObject>;
}

export interface RouteParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema: SchemaObject;
}

/** One route of the running application, as its own OpenAPI document (`/docs-json`) describes it. */
export interface Operation {
  method: HttpMethod;
  /** The path template, e.g. `/api/v1/keys/{id}`. */
  path: string;
  /** Permissions the route declares; undefined on public routes. */
  required?: string[];
  isPublic: boolean;
  parameters: RouteParameter[];
  /** Name of the JSON request body's schema, when the route takes one. */
  bodySchema?: string;
}

export interface RouteCatalog {
  operations: Operation[];
  /** Property names of a component schema (inherited ones included). */
  propertiesOf(schema: string): string[];
}

interface OpenApiDocument {
  paths: Record<string, Partial<Record<HttpMethod, {
    'x-required-permissions'?: string[];
    'x-public'?: boolean;
    parameters?: RouteParameter[];
    requestBody?: { content?: Record<string, { schema?: SchemaObject }> };
  }>>>;
  components: { schemas: Record<string, SchemaObject> };
}

/** Every route from the application's OpenAPI document, so a new route is covered without editing tests. */
export async function discoverRoutes(http: () => TestAgent): Promise<RouteCatalog> {
  const res = await http().get('/docs-json');
  if (res.status !== 200) throw new Error(`GET /docs-json answered ${res.status}`);
  const doc = res.body as OpenApiDocument;
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method): Operation => {
      const op = item[method]!;
      const ref = op.requestBody?.content?.['application/json']?.schema?.$ref;
      return {
        method,
        path,
        required: op['x-required-permissions'],
        isPublic: op['x-public'] === true,
        parameters: op.parameters ?? [],
        bodySchema: ref?.replace('#/components/schemas/', ''),
      };
    }),
  );
  return { operations, propertiesOf: (schema) => Object.keys(doc.components.schemas[schema]?.properties ?? {}) };
}

/** `/api/v1/keys/{id}` → `/api/v1/keys/<id>`; every path parameter needs a value. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (values[name] === undefined) throw new Error(`No value for {${name}} in ${path}`);
    return encodeURIComponent(values[name]);
  });
}

/** Values that satisfy the path parameters' formats without naming anything that exists. */
export const PLACEHOLDER_PATH_VALUES = { id: '00000000-0000-4000-8000-000000000000', name: 'nothing:here' };

export function call(http: () => TestAgent, op: Operation, values: Record<string, string>): Test {
  return http()[op.method](fillPath(op.path, values));
}

export function describeOp(op: Operation): string {
  return `${op.method.toUpperCase()} ${op.path}`;
}
