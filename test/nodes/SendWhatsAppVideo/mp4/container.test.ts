import { sniffContainer } from '../../../../nodes/SendWhatsAppVideo/mp4/container';
import { inspectVideo } from '../../../../nodes/SendWhatsAppVideo/mp4/inspect';
import { fixture } from '../../../harness/setup';
import { ascii, box, concat, u32 } from './helpers';

describe('the container is decided from the bytes, not the name or the upstream MIME type', () => {
	test.each([
		['baseline-aac-faststart.mp4', 'mp4'],
		['main-no-bframes.mp4', 'mp4'],
		['high-bframes.mp4', 'mp4'],
		['moov-at-end.mp4', 'mp4'],
		['hevc.mp4', 'mp4'],
		['no-audio.mp4', 'mp4'],
		['two-audio.mp4', 'mp4'],
		['co64.mp4', 'mp4'],
		['h264.3gp', '3gp'],
		['h263.3gp', '3gp'],
	])('%s is %s', (name, container) => {
		expect(sniffContainer(fixture(name))).toMatchObject({ container });
	});

	test.each([
		['png-named.mp4', /a PNG image/],
		['not-a-video.png', /a PNG image/],
		['quicktime.mov', /QuickTime \.mov/],
	])('%s is refused: %s', (name, problem) => {
		const result = sniffContainer(fixture(name));
		expect('problem' in result && result.problem).toMatch(problem);
	});

	test.each([
		['an audio-only M4A', Buffer.from('00000018667479704d344120000000004d34412069736f6d', 'hex'), /audio-only/],
		['a WebM video', Buffer.from('1a45dfa3a3428681010000000000000000', 'hex'), /WebM/],
		['a file shorter than a box header', Buffer.from('000000', 'hex'), /only 3 bytes/],
		['random bytes', Buffer.from('00112233445566778899aabbccddeeff', 'hex'), /does not start with an MP4\/3GP "ftyp" header/],
		['an ftyp box with a foreign brand', Buffer.from('0000001466747970616263640000000061626364', 'hex'), /brand "abcd" is neither MP4 nor 3GP/],
		['a 3GPP2 (.3g2) file', Buffer.from('0000001466747970336732610000000033673261', 'hex'), /brand "3g2a"/],
	])('%s is refused', (_name, bytes, problem) => {
		const result = sniffContainer(bytes);
		expect('problem' in result && result.problem).toMatch(problem);
	});

	test('a QuickTime brand that lists an MP4 brand as compatible is accepted as MP4', () => {
		const bytes = Buffer.from('00000018667479707174202000000000717420206d703432', 'hex');
		expect(sniffContainer(bytes)).toEqual({ container: 'mp4', brand: 'qt  ' });
	});

	test('a box size larger than the file does not read past the buffer', () => {
		const bytes = Buffer.from('7fffffff667479706d703432', 'hex');
		expect(sniffContainer(bytes)).toEqual({ container: 'mp4', brand: 'mp42' });
	});
});

describe('one sniffer: the check before sending and the inspection agree', () => {
	test.each([
		['a PNG image', fixture('not-a-video.png')],
		['an HTML or XML page', Buffer.from('  <!DOCTYPE html><html><body>Please log in</body></html>', 'latin1')],
		['an AVI video', Buffer.from('RIFF\0\0\0\0AVI LIST\0\0\0\0', 'latin1')],
		['a RIFF (WAV/WebP) file', Buffer.from('RIFF\0\0\0\0WAVEfmt \0\0\0\0', 'latin1')],
		['an MP3 file with ID3 tags', Buffer.from('ID3\x03\0\0\0\0\0\0\0\0\0\0\0\0', 'latin1')],
		['an Ogg file', Buffer.from('OggS\0\x02\0\0\0\0\0\0\0\0\0\0', 'latin1')],
	])('both name %s', (name, bytes) => {
		const result = sniffContainer(bytes);
		expect('problem' in result && result.problem).toContain(`the file is ${name}`);
		expect(() => inspectVideo(bytes)).toThrow(`the file is ${name}`);
	});

	const movie = (major: string, ...compatible: string[]): Uint8Array =>
		concat(box('ftyp', ascii(major), u32(0), ...compatible.map(ascii)), box('moov'));

	test.each([
		['isom', []],
		['mp42', ['isom']],
		['3gp4', ['3gp4', 'isom']],
		['3gg6', []],
		['qt  ', ['qt  ', 'isom']],
		['M4V ', ['M4V ']],
		['abcd', ['mp41']],
	])('an ftyp of brand %j with compatible brands %j is the same container to both', (major, compatible) => {
		const bytes = movie(major, ...compatible);
		const sniffed = sniffContainer(bytes);
		expect(sniffed).toHaveProperty('container');
		expect(inspectVideo(bytes).container).toBe('container' in sniffed && sniffed.container);
	});

	test('a QuickTime brand without an MP4 one is refused by both', () => {
		const bytes = movie('qt  ', 'qt  ');
		expect(sniffContainer(bytes)).toEqual({ problem: 'the file is a QuickTime .mov video, not MP4' });
		expect(() => inspectVideo(bytes)).toThrow(/QuickTime \.mov file/);
	});
});
