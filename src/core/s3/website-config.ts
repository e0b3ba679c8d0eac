/**
 * A bucket's website configuration as S3's XML (PutBucketWebsite, GetBucketWebsite); the type and its
 * rules are the model's (model/bucket-settings.ts).
 */
import { S3Error } from '../errors.ts';
import {
  type Redirect,
  type WebsiteConfig,
  hostNameOf,
  keyTextOf,
  protocolOf,
} from '../model/bucket-settings.ts';
import { children, document, leaf, node, parseXml, text, type XmlValue } from '../xml.ts';

function redirectOf(r: XmlValue | undefined): Redirect {
  const code = text(r, 'HttpRedirectCode');
  const out: Redirect = {
    protocol: protocolOf(text(r, 'Protocol')),
    hostName: hostNameOf(text(r, 'HostName')),
    replaceKeyPrefixWith: keyTextOf('ReplaceKeyPrefixWith', text(r, 'ReplaceKeyPrefixWith')),
    replaceKeyWith: keyTextOf('ReplaceKeyWith', text(r, 'ReplaceKeyWith')),
    httpRedirectCode: code === undefined ? undefined : Number(code),
  };
  if (out.replaceKeyPrefixWith !== undefined && out.replaceKeyWith !== undefined) {
    throw new S3Error(
      'InvalidArgument',
      'A Redirect cannot have both ReplaceKeyPrefixWith and ReplaceKeyWith.',
    );
  }
  if (out.httpRedirectCode !== undefined && !(out.httpRedirectCode >= 300 && out.httpRedirectCode <= 399)) {
    throw new S3Error('InvalidArgument', 'HttpRedirectCode must be a 3XX status.');
  }
  return out;
}

export function parseWebsiteXml(xml: string): WebsiteConfig {
  const doc = parseXml(xml)['WebsiteConfiguration'];
  if (doc === undefined) throw new S3Error('MalformedXML', 'The body must be a <WebsiteConfiguration>.');
  const redirectAll = children(doc, 'RedirectAllRequestsTo')[0];
  const cfg: WebsiteConfig = { routingRules: [] };
  if (redirectAll !== undefined) {
    const hostName = text(redirectAll, 'HostName');
    if (!hostName) throw new S3Error('MalformedXML', 'RedirectAllRequestsTo needs a HostName.');
    hostNameOf(hostName);
    if (children(doc, 'IndexDocument').length || children(doc, 'RoutingRules').length) {
      throw new S3Error(
        'InvalidArgument',
        'RedirectAllRequestsTo cannot be combined with other website settings.',
      );
    }
    cfg.redirectAll = { hostName, protocol: protocolOf(text(redirectAll, 'Protocol')) };
    return cfg;
  }
  cfg.indexSuffix = text(children(doc, 'IndexDocument')[0], 'Suffix');
  if (!cfg.indexSuffix || cfg.indexSuffix.includes('/')) {
    throw new S3Error('InvalidArgument', 'An IndexDocument Suffix is required and must not contain "/".');
  }
  cfg.errorKey = text(children(doc, 'ErrorDocument')[0], 'Key');
  for (const rule of children(children(doc, 'RoutingRules')[0], 'RoutingRule')) {
    const cond = children(rule, 'Condition')[0];
    const code = text(cond, 'HttpErrorCodeReturnedEquals');
    const redirect = children(rule, 'Redirect')[0];
    if (redirect === undefined) throw new S3Error('MalformedXML', 'Every RoutingRule needs a Redirect.');
    cfg.routingRules.push({
      condition:
        cond === undefined
          ? undefined
          : {
              keyPrefixEquals: text(cond, 'KeyPrefixEquals'),
              httpErrorCodeReturnedEquals: code === undefined ? undefined : Number(code),
            },
      redirect: redirectOf(redirect),
    });
  }
  return cfg;
}

export function websiteXml(cfg: WebsiteConfig): string {
  if (cfg.redirectAll) {
    return document(
      'WebsiteConfiguration',
      node(
        'RedirectAllRequestsTo',
        leaf('HostName', cfg.redirectAll.hostName),
        leaf('Protocol', cfg.redirectAll.protocol),
      ),
    );
  }
  return document(
    'WebsiteConfiguration',
    node('IndexDocument', leaf('Suffix', cfg.indexSuffix)),
    cfg.errorKey ? node('ErrorDocument', leaf('Key', cfg.errorKey)) : '',
    cfg.routingRules.length
      ? node(
          'RoutingRules',
          ...cfg.routingRules.map((r) =>
            node(
              'RoutingRule',
              r.condition
                ? node(
                    'Condition',
                    leaf('KeyPrefixEquals', r.condition.keyPrefixEquals),
                    leaf('HttpErrorCodeReturnedEquals', r.condition.httpErrorCodeReturnedEquals),
                  )
                : '',
              node(
                'Redirect',
                leaf('Protocol', r.redirect.protocol),
                leaf('HostName', r.redirect.hostName),
                leaf('ReplaceKeyPrefixWith', r.redirect.replaceKeyPrefixWith),
                leaf('ReplaceKeyWith', r.redirect.replaceKeyWith),
                leaf('HttpRedirectCode', r.redirect.httpRedirectCode),
              ),
            ),
          ),
        )
      : '',
  );
}
