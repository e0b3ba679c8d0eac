/** XML in and out of the S3 API: a tiny builder for responses and a guarded parser for request bodies. */
import { XMLParser } from 'fast-xml-parser';
import { S3Error } from './errors.ts';

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const DECL = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Escapes text for element content; control characters become character references as S3 writes them. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (ch) => {
    switch (ch) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${ch.charCodeAt(0).toString(16)};`;
    }
  });
}

export type XmlChild = string | false | null | undefined;

/** `<name>escaped text</name>`, or nothing when the value is undefined/null. */
export function leaf(name: string, value: string | number | boolean | null | undefined): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

/** `<name>children</name>` where children are already-built XML fragments. */
export function node(name: string, ...children: XmlChild[]): string {
  return `<${name}>${children.filter(Boolean).join('')}</${name}>`;
}

/** A whole document: declaration plus a root element in the S3 namespace. */
export function document(root: string, ...children: XmlChild[]): string {
  return `${DECL}<${root} xmlns="${S3_NS}">${children.filter(Boolean).join('')}</${root}>`;
}

/** A document whose root carries no namespace (S3's Error body). */
export function plainDocument(root: string, ...children: XmlChild[]): string {
  return `${DECL}${node(root, ...children)}`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false, // keys such as "0001" stay strings
  trimValues: false, // keys may start or end with spaces
  processEntities: true,
  htmlEntities: true, // numeric references (&#34;) too, as Go's encoder (rclone) writes quotes
  ignoreDeclaration: true,
});

export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/** Parses a request body; anything not well-formed (or using DTDs) is MalformedXML. */
export function parseXml(text: string): XmlObject {
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new S3Error('MalformedXML', 'DTDs are not accepted.');
  try {
    const out: unknown = parser.parse(text, true);
    if (!out || typeof out !== 'object') throw new Error('empty');
    return out as XmlObject;
  } catch {
    throw new S3Error('MalformedXML');
  }
}

/** Child elements of an element, always as a list (one child parses as a single value). */
export function children(parent: XmlValue | undefined, name: string): XmlValue[] {
  if (!parent || typeof parent !== 'object' || Array.isArray(parent)) return [];
  const v = parent[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** The text of a child element, or undefined. An empty element `<A/>` reads as "". */
export function text(parent: XmlValue | undefined, name: string): string | undefined {
  const [first] = children(parent, name);
  if (first === undefined) return undefined;
  if (typeof first === 'string') return first;
  if (typeof first === 'object' && !Array.isArray(first) && Object.keys(first).length === 0) return '';
  if (typeof first === 'object' && !Array.isArray(first) && typeof first['#text'] === 'string')
    return first['#text'];
  throw new S3Error('MalformedXML', `<${name}> must hold text.`);
}
