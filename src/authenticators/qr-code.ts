import QRCode from 'qrcode';

/** An `otpauth://` URI as a QR code: an SVG data URI an <img> can show. It carries the seed: show it once. */
export async function qrCodeDataUri(text: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M' });
  return `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}`;
}
