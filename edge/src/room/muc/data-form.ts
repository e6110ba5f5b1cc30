/**
 * Minimal XEP-0004 data forms: building a form and reading a submitted one.
 * @module
 */
// Internal: not exported from the package entry.
import { NS_DATA_FORMS, xml, type Element } from '@edgemeet/protocol';

export interface FormField {
  readonly var: string;
  readonly type?: 'boolean' | 'text-single' | 'text-private' | 'list-single' | 'hidden' | 'jid-multi';
  readonly label?: string;
  readonly values: readonly string[];
}

export function buildForm(type: 'form' | 'result', fields: readonly FormField[]): Element {
  return xml('x', { xmlns: NS_DATA_FORMS, type },
    ...fields.map((f) => xml('field', { var: f.var, type: f.type, label: f.label },
      ...f.values.map((v) => xml('value', null, v)))));
}

/** Reads a submitted form into `var → values`; undefined when `el` holds no submit form. */
export function readSubmittedForm(parent: Element): Map<string, string[]> | undefined {
  const x = parent.getChild('x', NS_DATA_FORMS);
  if (!x || x.attrs.type !== 'submit') return undefined;
  const out = new Map<string, string[]>();
  for (const field of x.getChildren('field')) {
    const name = field.attrs.var;
    if (typeof name !== 'string') continue;
    out.set(name, field.getChildren('value').map((v) => v.text()));
  }
  return out;
}

export function isTrue(value: string | undefined): boolean {
  return value === '1' || value === 'true';
}
