/**
 * The Overview's getting-started card: the endpoint and region SDKs need, and snippets for aws-cli,
 * boto3 and the JavaScript SDK filled with the customer's own values (a bucket of theirs when they
 * have one). Secrets are never put in a page: the snippets read them from the usual variables.
 */
import type { FC } from 'hono/jsx';
import type { Api } from '../api-client.ts';

const Snippet: FC<{ id: string; title: string; code: string }> = ({ id, title, code }) => (
  <div class="snippet">
    <div class="actions">
      <strong>{title}</strong>
      <button type="button" class="link" data-copy={code} aria-label={`Copy the ${title} snippet`}>
        Copy
      </button>
    </div>
    <pre id={id}>
      <code>{code}</code>
    </pre>
  </div>
);

export async function gettingStartedOf(api: Api) {
  const [info, { buckets }] = await Promise.all([api.getEndpoint(), api.listBuckets()]);
  return { endpoint: info.endpoint, region: info.region, bucket: buckets[0]?.name ?? null };
}

export const GettingStarted: FC<{ endpoint: string; region: string; bucket: string | null }> = (p) => {
  const bucket = p.bucket ?? 'my-first-bucket';
  const env = `export AWS_ACCESS_KEY_ID=<your access key id>
export AWS_SECRET_ACCESS_KEY=<its secret>
export AWS_DEFAULT_REGION=${p.region}`;
  const aws = `aws --endpoint-url ${p.endpoint} s3`;
  const cli = `${p.bucket ? '' : `${aws} mb s3://${bucket}\n`}${aws} cp ./photo.jpg s3://${bucket}/photo.jpg
${aws} ls s3://${bucket}/`;
  const boto3 = `import boto3

s3 = boto3.client("s3", endpoint_url="${p.endpoint}", region_name="${p.region}")
s3.upload_file("photo.jpg", "${bucket}", "photo.jpg")
print([o["Key"] for o in s3.list_objects_v2(Bucket="${bucket}").get("Contents", [])])`;
  const js = `import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';

const s3 = new S3Client({ endpoint: '${p.endpoint}', region: '${p.region}', forcePathStyle: true });
await s3.send(new PutObjectCommand({ Bucket: '${bucket}', Key: 'hello.txt', Body: 'Hello' }));`;
  return (
    <section class="card" id="getting-started" aria-labelledby="getting-started-title">
      <h2 id="getting-started-title">Getting started</h2>
      <ul class="plain">
        <li>
          <span class="muted">Endpoint</span> <code id="gs-endpoint">{p.endpoint}</code>{' '}
          <button type="button" class="link" data-copy={p.endpoint} aria-label="Copy the endpoint">
            Copy
          </button>
        </li>
        <li>
          <span class="muted">Region</span> <code id="gs-region">{p.region}</code>{' '}
          <button type="button" class="link" data-copy={p.region} aria-label="Copy the region">
            Copy
          </button>
        </li>
      </ul>
      <p class="hint">
        Use the root user's keys (shown once when the service was created) or a key from{' '}
        <a href="/console/keys">Access keys</a>; set them once in your shell:
      </p>
      <Snippet id="gs-env" title="Shell" code={env} />
      <Snippet id="gs-cli" title="aws-cli" code={cli} />
      <Snippet id="gs-boto3" title="Python (boto3)" code={boto3} />
      <Snippet id="gs-js" title="JavaScript (AWS SDK v3)" code={js} />
    </section>
  );
};
