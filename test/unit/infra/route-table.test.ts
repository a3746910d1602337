import { describe, expect, it } from 'vitest';
import { RouteTable } from '#core/routing/route-table.ts';
import { system } from '#infra/system.ts';

describe('RouteTable', () => {
  const table = new RouteTable(system.routes);

  it('matches a literal route before a parameterised one and extracts path parameters', () => {
    expect(table.match('GET', '/dicom-web/studies/1.2.3/metadata')).toMatchObject({
      route: { path: '/dicom-web/studies/{study}/metadata', function: 'retrieve' },
      pathParameters: { study: '1.2.3' },
    });
    expect(table.match('GET', '/dicom-web/studies/1.2.3/series/4.5')).toMatchObject({
      route: { path: '/dicom-web/studies/{study}/series/{series}' },
      pathParameters: { study: '1.2.3', series: '4.5' },
    });
  });

  it('distinguishes methods on the same path', () => {
    expect(table.match('POST', '/dicom-web/studies/1.2.3')?.route.function).toBe('storeInstances');
    expect(table.match('GET', '/dicom-web/studies/1.2.3')?.route.function).toBe('retrieve');
    expect(table.match('DELETE', '/dicom-web/studies/1.2.3')?.route.function).toBe('deleteResources');
    expect(table.match('PUT', '/dicom-web/studies/1.2.3')).toBeUndefined();
  });

  it('finds no route for unknown or longer paths', () => {
    expect(table.match('GET', '/nope')).toBeUndefined();
    expect(table.match('GET', '/dicom-web/studies/1/series/2/instances/3/metadata/extra')).toBeUndefined();
    expect(table.hasPath('/dicom-web/studies/1.2.3')).toBe(true);
  });

  it('gives greedy parameters the rest of the path', () => {
    const greedy = new RouteTable([{ method: 'GET', path: '/files/{proxy+}', function: 'f' }]);
    expect(greedy.match('GET', '/files/a/b/c')?.pathParameters).toEqual({ proxy: 'a/b/c' });
  });
});
