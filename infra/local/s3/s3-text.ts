/** Text as S3 writes it: keys in request paths, and XML character entities in its listings. */
export const encodePath = (key: string) => key.split('/').map(encodeURIComponent).join('/');

export const decodeXmlText = (text: string) =>
  text.replace(/&(lt|gt|amp|apos|quot);/g, (_, entity: string) => ({ lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' })[entity]!);
