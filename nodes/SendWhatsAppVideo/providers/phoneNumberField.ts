import type { INodeProperties } from 'n8n-workflow';

/** A phone number field as every provider labels and explains it. */
export const phoneNumberField: INodeProperties = {
	displayName: 'Phone Number',
	name: 'recipient',
	type: 'string',
	required: true,
	default: '',
	placeholder: 'e.g. +49 151 23456789',
	description:
		'Recipient phone number in international format: + and the country code, then the number, e.g. +4915123456789. Spaces, dashes, brackets and a leading 00 are accepted; a national number starting with 0 is not.',
};
