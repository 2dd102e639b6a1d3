import { EMULATOR_DEFAULTS as D } from '../../test/emulator/server';

/** A Cloud API status webhook body for one message, as WhatsApp sends it to the emulator's number. */
export function metaStatusBody(messageId: string, status: string, recipient: string): unknown {
	return {
		object: 'whatsapp_business_account',
		entry: [
			{
				id: D.metaBusinessAccountId,
				changes: [
					{
						field: 'messages',
						value: {
							messaging_product: 'whatsapp',
							metadata: { display_phone_number: D.metaDisplayPhoneNumber, phone_number_id: D.metaPhoneNumberId },
							statuses: [{ id: messageId, status, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: recipient }],
						},
					},
				],
			},
		],
	};
}
