/*
 * WakeLink-XS native helpers for ESP8266 and ESP32 (see ../board.js).
 * The chip id matches what v1.0 Arduino firmware used, so a reflashed board keeps its device id:
 * ESP8266 ESP.getChipId() = system_get_chip_id(); ESP32 (uint32_t)ESP.getEfuseMac() = the first
 * four eFuse MAC bytes read as a little-endian integer.
 */
#include "xsmc.h"
#include "xsHost.h"

#if ESP32
	#include "esp_system.h"
	#include "esp_mac.h"
	#include "esp_random.h"
#else
	#include "user_interface.h"
	extern int os_get_random(unsigned char *buf, size_t len);
#endif

#define WAKELINK_MAX_RANDOM_BYTES 256

void xs_wakelink_chip_id(xsMachine *the)
{
#if ESP32
	uint8_t mac[6];
	esp_efuse_mac_get_default(mac);
	uint32_t id = (uint32_t)mac[0] | ((uint32_t)mac[1] << 8) | ((uint32_t)mac[2] << 16) | ((uint32_t)mac[3] << 24);
	xsmcSetNumber(xsResult, (double)id);
#else
	xsmcSetNumber(xsResult, (double)system_get_chip_id());
#endif
}

void xs_wakelink_free_heap(xsMachine *the)
{
#if ESP32
	xsmcSetInteger(xsResult, (xsIntegerValue)esp_get_free_heap_size());
#else
	xsmcSetInteger(xsResult, (xsIntegerValue)system_get_free_heap_size());
#endif
}

void xs_wakelink_random_bytes(xsMachine *the)
{
	xsIntegerValue length = xsmcToInteger(xsArg(0));
	if ((length < 0) || (length > WAKELINK_MAX_RANDOM_BYTES))
		xsRangeError("random length out of range");
	xsmcSetArrayBuffer(xsResult, NULL, length);
	uint8_t *bytes = xsmcToArrayBuffer(xsResult);
#if ESP32
	esp_fill_random(bytes, length);
#else
	os_get_random(bytes, length);
#endif
}

void xs_wakelink_restart(xsMachine *the)
{
#if ESP32
	esp_restart();
#else
	system_restart();
#endif
}

/* Boards have no run-time overrides: every setting is what the build (mc/config) or the store says. */
void xs_wakelink_setting(xsMachine *the)
{
}
