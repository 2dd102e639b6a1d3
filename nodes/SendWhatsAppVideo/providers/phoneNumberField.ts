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
		'Recipient phone number in international format with country code, e.g. +14155550123. Spaces, dashes, brackets and a leading 00 are accepted.',
};
