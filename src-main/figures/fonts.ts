// Font files for headless rendering. resvg draws no text at all without font files, and PDFs must
// embed their fonts: both use DejaVu Sans from the dejavu-fonts-ttf package.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');

export const FONT_FILES = {
  regular: path.join(dir, 'DejaVuSans.ttf'),
  bold: path.join(dir, 'DejaVuSans-Bold.ttf'),
  italic: path.join(dir, 'DejaVuSans-Oblique.ttf'),
  boldItalic: path.join(dir, 'DejaVuSans-BoldOblique.ttf'),
};
