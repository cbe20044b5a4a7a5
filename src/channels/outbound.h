/*
 * outbound.h - sending a prepared message through its channel's provider.
 *
 * Layer: channels (calls domain/ and the provider clients). The admin API's messaging endpoint
 * calls the domain to validate and store the message as queued, then this function to send it
 * and settle the stored message with the provider's answer.
 */
#ifndef SB_OUTBOUND_H
#define SB_OUTBOUND_H

#include "domain/domain.h"

/* Sends plan->msg to plan->to and records the result on the stored message. public_url builds
 * the Twilio StatusCallback URL. out tells what the provider said. Returns 0 when the result
 * was recorded (even a provider refusal), or a store error. */
int outbound_send(struct store *s, const struct dom_send_plan *plan, const char *public_url,
                  struct arena *a, struct dom_send_outcome *out, struct err *e);

#endif
