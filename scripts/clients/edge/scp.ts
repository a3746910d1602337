/**
 * The edge gateway's DICOM service (dcmjs-dimse): C-ECHO, and C-STORE of any storage SOP class in
 * whatever transfer syntax the sender proposes first (the bytes are kept as sent, never
 * transcoded). Each instance's dataset is streamed into the spool as it arrives and committed
 * (fsync, rename, fsync of the directory) before the response: Success only once it is durable;
 * 0xA700 (Out of Resources) when it could not be written, so the sender keeps it and retries.
 */
import dimse from 'dcmjs-dimse';
import type { Writable } from 'node:stream';
import { fileMetaHeader } from './part10-meta.ts';
import type { Spool, SpoolWriter } from './spool.ts';

const { Scp, Dataset } = dimse;
const { CEchoResponse, CStoreResponse } = dimse.responses;
const { Status, PresentationContextResult, RejectResult, RejectSource, RejectReason } = dimse.constants;

type Association = Parameters<InstanceType<typeof Scp>['associationRequested']>[0];
type PresentationContext = Parameters<InstanceType<typeof Scp>['createStoreWritableStream']>[0];
type CStoreRequest = Parameters<InstanceType<typeof Scp>['createStoreWritableStream']>[1];

const OUT_OF_RESOURCES = 0xa700;

export interface ScpEvents {
  /** An instance is durable in the spool (the forwarder may take it). */
  received(path: string, bytes: number): void;
  /** An instance could not be spooled: the sender was told to retry. */
  failed(error: Error): void;
}

/** The SCP class for dcmjs-dimse's Server, bound to a spool and an AE title. */
export function storeScp(spool: Spool, aeTitle: string, events: ScpEvents): typeof Scp {
  /** What became of each dataset, keyed by the Dataset handed to cStoreRequest. */
  const outcomes = new WeakMap<object, Promise<string>>();

  return class StrataStoreScp extends Scp {
    private callingAeTitle = '';
    /** Datasets being received, not yet committed. */
    private readonly receiving = new Set<SpoolWriter>();

    override associationRequested(association: Association): void {
      this.callingAeTitle = association.getCallingAeTitle();
      if (association.getCalledAeTitle().trim() !== aeTitle) {
        this.sendAssociationReject(RejectResult.Permanent, RejectSource.ServiceUser, RejectReason.CalledAeNotRecognized);
        return;
      }
      for (const { id } of association.getPresentationContexts()) {
        const context = association.getPresentationContext(id);
        const proposed = context.getTransferSyntaxUids();
        // Verification, or any storage class (we keep the bytes; the archive decides what it accepts).
        if (proposed.length) context.setResult(PresentationContextResult.Accept, proposed[0]);
        else context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
      }
      this.sendAssociationAccept();
    }

    /** The sender gave up mid-association: a dataset it was sending was never acknowledged, and is dropped. */
    override abort(): void {
      for (const writer of this.receiving) void writer.discard();
      this.receiving.clear();
    }

    override associationReleaseRequested(): void {
      this.sendAssociationReleaseResponse();
    }

    override cEchoRequest(request: Parameters<InstanceType<typeof Scp>['cEchoRequest']>[0], callback: Parameters<InstanceType<typeof Scp>['cEchoRequest']>[1]): void {
      const response = CEchoResponse.fromRequest(request);
      response.setStatus(Status.Success);
      callback(response);
    }

    override createStoreWritableStream(context: PresentationContext, request: CStoreRequest): Writable {
      const header = fileMetaHeader({
        sopClassUid: request.getAffectedSopClassUid(),
        sopInstanceUid: request.getAffectedSopInstanceUid(),
        transferSyntaxUid: context.getAcceptedTransferSyntaxUid() ?? '',
        sourceAeTitle: this.callingAeTitle,
      });
      const writer = spool.writer(header);
      this.receiving.add(writer);
      return writer;
    }

    override createDatasetFromStoreWritableStream(writable: Writable, context: PresentationContext, callback: (dataset: InstanceType<typeof Dataset>) => void): void {
      const writer = writable as SpoolWriter;
      this.receiving.delete(writer);
      const dataset = new Dataset({}, context.getAcceptedTransferSyntaxUid());
      const committed = writer.commit().then(
        (path) => {
          events.received(path, writer.bytes);
          return path;
        },
        async (error: Error) => {
          await writer.discard();
          events.failed(error);
          throw error;
        },
      );
      committed.catch(() => {}); // read in cStoreRequest
      outcomes.set(dataset, committed);
      // The response waits for the commit (cStoreRequest awaits it).
      callback(dataset);
    }

    override cStoreRequest(request: Parameters<InstanceType<typeof Scp>['cStoreRequest']>[0], callback: Parameters<InstanceType<typeof Scp>['cStoreRequest']>[1]): void {
      const response = CStoreResponse.fromRequest(request);
      const outcome = outcomes.get(request.getDataset() as object) ?? Promise.reject(new Error('no spooled dataset'));
      outcome.then(
        () => response.setStatus(Status.Success),
        () => response.setStatus(OUT_OF_RESOURCES),
      ).finally(() => callback(response));
    }
  };
}
