import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readPart10Structure } from '#core/dicom/part10-structure.ts';
import { fileMetaHeader } from '#clients/edge/part10-meta.ts';
import { Spool } from '#clients/edge/spool.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const spoolDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-spool-'));
  dirs.push(dir);
  return dir;
};

/** An explicit VR little endian dataset: (0008,0018) SOP Instance UID and (0020,000D) Study Instance UID. */
function dataset(sop: string, study: string): Buffer {
  const element = (group: number, number: number, value: string) => {
    const bytes = Buffer.from(value.length % 2 ? `${value}\0` : value, 'latin1');
    const header = Buffer.alloc(8);
    header.writeUInt16LE(group, 0);
    header.writeUInt16LE(number, 2);
    header.write('UI', 4, 'latin1');
    header.writeUInt16LE(bytes.length, 6);
    return Buffer.concat([header, bytes]);
  };
  return Buffer.concat([element(0x0008, 0x0018, sop), element(0x0020, 0x000d, study)]);
}

describe('the edge spool', () => {
  it('writes a Part 10 file (its meta, then the dataset as received) that appears in the queue only once committed', async () => {
    const spool = new Spool(spoolDir());
    const header = fileMetaHeader({ sopClassUid: '1.2.840.10008.5.1.4.1.1.7', sopInstanceUid: '1.2.3.4', transferSyntaxUid: '1.2.840.10008.1.2.1', sourceAeTitle: 'MODALITY1' });
    const writer = spool.writer(header);
    const body = dataset('1.2.3.4', '1.2.3');
    writer.write(body.subarray(0, 5));
    writer.write(body.subarray(5));
    writer.end();
    expect(await spool.queued()).toEqual([]);
    const path = await writer.commit();
    expect(await spool.queued()).toEqual([path]);
    const bytes = readFileSync(path);
    expect(bytes.subarray(header.length)).toEqual(body);
    const structure = readPart10Structure(bytes);
    expect(structure.meta['00020002']).toBe('1.2.840.10008.5.1.4.1.1.7');
    expect(structure.meta['00020003']).toBe('1.2.3.4');
    expect(structure.meta['00020016']).toBe('MODALITY1');
    expect(structure.hasMetaGroupLength).toBe(true);
    expect(structure.identifiers['00080018']).toBe('1.2.3.4');
    expect(readdirSync(spool.incoming)).toEqual([]);
  });

  it('drops at start what was never acknowledged, keeps the queue, and sets refused instances aside with their reason', async () => {
    const dir = spoolDir();
    const first = new Spool(dir);
    const writer = first.writer(Buffer.from('partial'));
    writer.end();
    await new Promise((resolve) => writer.once('finish', resolve)); // written, never committed (no C-STORE response)
    const done = first.writer(Buffer.from('whole'));
    done.end();
    const queued = await done.commit();
    expect(readdirSync(first.incoming)).toHaveLength(1);

    const restarted = new Spool(dir);
    expect(readdirSync(restarted.incoming)).toEqual([]);
    expect(await restarted.queued()).toEqual([queued]);
    await restarted.refuse(queued, '0xA900 the dataset has no StudyInstanceUID');
    expect(await restarted.depth()).toBe(0);
    const name = queued.split('/').pop()!;
    expect(readFileSync(join(restarted.refused, `${name}.reason.txt`), 'utf8')).toMatch(/0xA900/);
    expect(existsSync(join(restarted.refused, name))).toBe(true);
    writeFileSync(join(restarted.ready, 'x.dcm'), 'x');
    await restarted.forwarded(join(restarted.ready, 'x.dcm'));
    await restarted.forwarded(join(restarted.ready, 'x.dcm')); // twice: no error
    expect(await restarted.depth()).toBe(0);
  });
});
