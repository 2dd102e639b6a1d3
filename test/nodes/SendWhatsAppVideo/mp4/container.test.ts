import { sniffContainer } from '../../../../nodes/SendWhatsAppVideo/media';
import { fixture } from '../../../harness/setup';

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
