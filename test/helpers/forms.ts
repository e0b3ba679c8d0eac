/**
 * Browser upload forms (S3 POST policies) built by hand: the fields from the JSON API, then raw
 * multipart/form-data, so a test can put anything in a field or in the file part's headers.
 */
import { api } from './api.ts';
import type { Creds } from './server.ts';

export interface UploadForm {
  url: string;
  fields: Record<string, string>;
}

/** The fields of an upload form for `bucket` (POST /admin/buckets/{b}/presigned-post). */
export async function uploadForm(
  srv: { endpoint: string; creds: Creds },
  bucket: string,
  body: Record<string, unknown>,
): Promise<UploadForm> {
  const res = await api(srv, 'POST', `/admin/buckets/${bucket}/presigned-post`, body);
  if (res.status !== 200) throw new Error(`presigned-post answered ${res.status}: ${await res.text()}`);
  return res.json() as Promise<UploadForm>;
}

export interface FilePart {
  /** The file's part header lines after Content-Disposition (default: Content-Type: text/plain). */
  headers?: string[];
  filename?: string;
  content?: string;
}

/** A multipart/form-data body: the fields in order, then the file part; UTF-8 throughout. */
export function multipart(
  fields: [string, string][],
  file: FilePart,
  boundary = 'qoimaFormBoundary7MA4YWxk',
): { body: Uint8Array; contentType: string } {
  let text = '';
  const part = (disposition: string) => `--${boundary}\r\nContent-Disposition: form-data; ${disposition}\r\n`;
  for (const [name, value] of fields) text += `${part(`name="${name}"`)}\r\n${value}\r\n`;
  const headers = (file.headers ?? ['Content-Type: text/plain']).map((h) => `${h}\r\n`).join('');
  text += `${part(`name="file"; filename="${file.filename ?? 'a.txt'}"`)}${headers}\r\n`;
  text += `${file.content ?? 'hello'}\r\n--${boundary}--\r\n`;
  return { body: new TextEncoder().encode(text), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Posts `form` with extra fields and the file part as given. */
export function postForm(
  form: UploadForm,
  file: FilePart = {},
  extra: [string, string][] = [],
): Promise<Response> {
  const { body, contentType } = multipart([...Object.entries(form.fields), ...extra], file);
  return fetch(form.url, {
    method: 'POST',
    body: body as BodyInit,
    headers: { 'content-type': contentType },
    redirect: 'manual',
  });
}
