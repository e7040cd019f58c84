/** `metav1.TableColumnDefinition` helpers shared by the printers. */

export interface ColumnDefinition {
  readonly name: string;
  readonly type: string;
  readonly format: string;
  readonly description: string;
  /** 0: shown by `kubectl get`; 1: only with `-o wide`. */
  readonly priority: number;
}

export function column(
  name: string,
  type: string,
  description: string,
  priority = 0,
  format = '',
): ColumnDefinition {
  return { name, type, format, description, priority };
}

export const nameColumn = column(
  'Name',
  'string',
  'Name of the object, unique within its namespace (metadata.name).',
  0,
  'name',
);

export const ageColumn = column(
  'Age',
  'string',
  'Time since the object was created (metadata.creationTimestamp).',
);

/** A printer: its columns and the cells of one object (one cell per column, in order). */
export interface Printer {
  readonly columns: readonly ColumnDefinition[];
  cells(object: Record<string, unknown>, nowMs: number): unknown[];
}
