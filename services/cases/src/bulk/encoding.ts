/**
 * The text encoding of an import file. Excel on a Chinese Windows desktop saves "CSV (逗号分隔)" in
 * the system's code page, GBK (GB18030 is its superset), and government systems export the same;
 * read as UTF-8, every Chinese character of such a file would become U+FFFD and be imported so.
 */
export type TextEncoding = 'utf-8' | 'gb18030';

/** UTF-8 when every byte of the file is valid UTF-8 (a BOM included), GB18030 otherwise. */
export async function detectEncoding(bytes: AsyncIterable<Uint8Array>): Promise<TextEncoding> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    for await (const chunk of bytes) decoder.decode(chunk, { stream: true });
    decoder.decode();
    return 'utf-8';
  } catch {
    return 'gb18030';
  }
}

/** The file's text, chunk by chunk; a character split across two chunks is decoded whole. */
export async function* decodeChunks(
  bytes: AsyncIterable<Uint8Array>,
  encoding: TextEncoding,
): AsyncGenerator<string> {
  // A bad byte in a file judged UTF-8 cannot happen; in GB18030 it is kept visible as U+FFFD.
  const decoder = new TextDecoder(encoding);
  for await (const chunk of bytes) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield text;
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield rest;
}
