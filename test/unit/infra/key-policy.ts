/**
 * Reads a synthesized template the way KMS would decide: which AWS services write to a
 * resource encrypted with a customer-managed key, and whether that key's policy lets them
 * (principal, action, and every condition of the statement met by the request's context).
 */
export type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** A service writing to a CMK-encrypted resource, with the request context KMS would see. */
export interface Writer {
  service: string;
  resource: string;
  keyId: string;
  actions: string[];
  context: Record<string, string>;
}

interface Statement {
  Effect: string;
  Principal?: { Service?: unknown; AWS?: unknown };
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

export class TemplateReader {
  constructor(
    readonly resources: Resources,
    readonly account: string,
    readonly region: string,
  ) {}

  /** A template value as a string, intrinsic functions resolved as far as the template allows. */
  render(value: unknown): string {
    if (typeof value === 'string') return value;
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return { 'AWS::AccountId': this.account, 'AWS::Partition': 'aws', 'AWS::Region': this.region }[v.Ref] ?? `<${v.Ref}>`;
    if (Array.isArray(v['Fn::Join'])) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => this.render(part)).join(separator);
    }
    if (Array.isArray(v['Fn::GetAtt'])) {
      const [id, attribute] = v['Fn::GetAtt'] as [string, string];
      const resource = this.resources[id];
      if (resource?.Type === 'AWS::Events::Rule' && attribute === 'Arn') return `arn:aws:events:${this.region}:${this.account}:rule/${this.render(resource.Properties.Name)}`;
      return `<${id}.${attribute}>`;
    }
    return JSON.stringify(value);
  }

  private keyOf(reference: unknown): string | undefined {
    const v = reference as { 'Fn::GetAtt'?: [string, string]; Ref?: string } | undefined;
    const id = v?.['Fn::GetAtt']?.[0] ?? v?.Ref;
    return id && this.resources[id]?.Type === 'AWS::KMS::Key' ? id : undefined;
  }

  private refOf(value: unknown): string | undefined {
    const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    return v?.Ref ?? v?.['Fn::GetAtt']?.[0];
  }

  /**
   * Every service that writes to a CMK-encrypted resource: CloudWatch Logs for each encrypted
   * log group (whoever sends it logs), and each service a queue, topic or bucket policy lets write.
   */
  writers(): Writer[] {
    const writers: Writer[] = [];
    for (const [id, resource] of Object.entries(this.resources)) {
      const p = resource.Properties;
      if (resource.Type === 'AWS::Logs::LogGroup' && this.keyOf(p.KmsKeyId)) {
        const name = p.LogGroupName ? this.render(p.LogGroupName) : id;
        writers.push({
          service: `logs.${this.region}.amazonaws.com`,
          resource: id,
          keyId: this.keyOf(p.KmsKeyId)!,
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
          context: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${this.region}:${this.account}:log-group:${name}` },
        });
      }
      const policy =
        resource.Type === 'AWS::SQS::QueuePolicy'
          ? { targets: p.Queues, key: 'KmsMasterKeyId' }
          : resource.Type === 'AWS::SNS::TopicPolicy'
            ? { targets: p.Topics, key: 'KmsMasterKeyId' }
            : resource.Type === 'AWS::S3::BucketPolicy'
              ? { targets: [p.Bucket], key: 'sse' }
              : undefined;
      if (!policy) continue;
      for (const target of policy.targets as unknown[]) {
        const targetId = this.refOf(target);
        const targetProps = targetId ? this.resources[targetId]?.Properties : undefined;
        const keyId =
          policy.key === 'sse'
            ? this.keyOf((targetProps?.BucketEncryption as { ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: { KMSMasterKeyID?: unknown } }[] } | undefined)?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID)
            : this.keyOf(targetProps?.KmsMasterKeyId);
        if (!keyId) continue;
        for (const statement of (p.PolicyDocument as { Statement: Statement[] }).Statement) {
          if (statement.Effect !== 'Allow') continue;
          // One writer per source the resource policy admits (e.g. each alarm that publishes to a topic).
          const sourceArns = [statement.Condition?.ArnEquals?.['aws:SourceArn'] ?? statement.Condition?.ArnLike?.['aws:SourceArn'] ?? []].flat();
          for (const service of [statement.Principal?.Service ?? []].flat()) {
            for (const sourceArn of sourceArns.length ? sourceArns : [undefined]) {
              writers.push({
                service: this.render(service),
                resource: targetId!,
                keyId,
                actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
                context: { 'aws:SourceAccount': this.account, ...(sourceArn ? { 'aws:SourceArn': this.render(sourceArn) } : {}) },
              });
            }
          }
        }
      }
    }
    return writers;
  }

  /** Whether the key's policy lets the writer do every action it needs, under a condition its context meets. */
  keyAllows(writer: Writer): boolean {
    const policy = this.resources[writer.keyId]!.Properties.KeyPolicy as { Statement: Statement[] };
    return writer.actions.every((action) => policy.Statement.some((statement) => this.statementAllows(statement, writer, action)));
  }

  private statementAllows(statement: Statement, writer: Writer, action: string): boolean {
    if (statement.Effect !== 'Allow') return false;
    if (![statement.Principal?.Service ?? []].flat().map((s) => this.render(s)).includes(writer.service)) return false;
    if (![statement.Action].flat().some((pattern) => glob(pattern).test(action))) return false;
    // A service principal without any condition could be driven by another account's resource.
    const conditions = Object.entries(statement.Condition ?? {});
    if (conditions.length === 0) return false;
    return conditions.every(([operator, entries]) =>
      Object.entries(entries).every(([key, expected]) => {
        const actual = writer.context[key];
        if (actual === undefined) return false;
        const values = [expected].flat().map((e) => this.render(e));
        if (operator === 'ArnEquals' || operator === 'StringEquals') return values.includes(actual);
        if (operator === 'ArnLike' || operator === 'StringLike') return values.some((v) => glob(v).test(actual));
        return false;
      }),
    );
  }
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
