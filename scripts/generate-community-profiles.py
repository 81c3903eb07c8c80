#!/usr/bin/env python3
"""Generate the household profiles of the CE-SDT study (gridledger study ce-sdt), once.

CE-SDT (Wang et al., Front. Energy Res. 10:1091350, 2023, section 4.1) used 15 measured load types and 3 measured
PV types of NSW households, November 2012, which are not public with the paper. This script makes comparable
profiles with two well-kept libraries and writes them, with their provenance, for the Swift program to embed:

- PV: pvlib clear-sky irradiance (Ineichen, Linke turbidity from pvlib's climatology) at Sydney for every day of
  November 2012, transposed to three roof planes and averaged into one November day (the paper's Figure 3 shows
  monthly average hourly generation). Two of the three types are scaled to Sydney's November mean daily global
  exposure (about 6.1 kWh/m2 a day, Bureau of Meteorology climate statistics), standing in for the clouds a
  measured month has; one stays clear-sky.
- Load: richardsonpy (Richardson et al. 2010 stochastic occupancy and appliance model) for 15 households of 1-5
  occupants, 30 days each (November 2012 starts on a Thursday), averaged into one day per household, then scaled
  so the 15 types average 16 kWh a day (a NSW household of that time; richardsonpy's UK defaults are lower).

Outputs (15-minute steps from local midnight, Australian Eastern Daylight Time as in November):
  data/ce-sdt/profiles.json                      the numbers
  Sources/GridCommunity/CommunityProfileData.swift  the same numbers as Swift literals
Run:  python3 -m venv /tmp/venv && /tmp/venv/bin/pip install -r scripts/generate-community-profiles.requirements.txt
      /tmp/venv/bin/python scripts/generate-community-profiles.py
"""
import datetime
import json
import os
import random
import sys

import numpy as np
import pandas as pd
import pvlib
import richardsonpy
import richardsonpy.classes.electric_load as electric_load
import richardsonpy.classes.occupancy as occupancy

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEP_MINUTES = 15
STEPS = 24 * 60 // STEP_MINUTES
SEED = 2012
LATITUDE, LONGITUDE, ALTITUDE_M = -33.87, 151.21, 40  # Sydney
TIMEZONE = "Australia/Sydney"
NOVEMBER_MEAN_GHI_KWH_PER_M2_DAY = 6.1
LOAD_TYPES = 15
LOAD_DAYS = 30
MEAN_DAILY_LOAD_KWH = 16.0
# (name, tilt degrees, azimuth degrees from north clockwise, scaled to the month's mean exposure)
PV_TYPES = [
    ("north 30 deg, clear sky", 30, 0, False),
    ("north 20 deg, November mean", 20, 0, True),
    ("west 20 deg, November mean", 20, 270, True),
]


def pv_profiles():
    location = pvlib.location.Location(LATITUDE, LONGITUDE, TIMEZONE, ALTITUDE_M, "Sydney")
    times = pd.date_range("2012-11-01 00:00", "2012-11-30 23:59", freq="1min", tz=TIMEZONE)
    solar = location.get_solarposition(times)
    clear = location.get_clearsky(times, model="ineichen", solar_position=solar)
    daily_ghi = clear["ghi"].sum() / 60 / 1000 / 30  # kWh/m2 a day, clear sky
    cloud_scale = NOVEMBER_MEAN_GHI_KWH_PER_M2_DAY / daily_ghi
    profiles, notes = [], []
    for name, tilt, azimuth, scaled in PV_TYPES:
        poa = pvlib.irradiance.get_total_irradiance(
            tilt, azimuth, solar["apparent_zenith"], solar["azimuth"], clear["dni"], clear["ghi"], clear["dhi"],
            dni_extra=pvlib.irradiance.get_extra_radiation(times), model="haydavies")["poa_global"].fillna(0)
        if scaled:
            poa = poa * cloud_scale
        minute_of_day = (poa.index.hour * 60 + poa.index.minute).to_numpy()
        day = np.zeros(24 * 60)
        np.add.at(day, minute_of_day, poa.to_numpy())
        day /= 30
        profiles.append([round(float(v), 2) for v in day.reshape(STEPS, STEP_MINUTES).mean(axis=1)])
        notes.append({"name": name, "tiltDegrees": tilt, "azimuthDegrees": azimuth, "scaledToMonthlyMean": scaled,
                      "dailyKWhPerM2": round(sum(profiles[-1]) * STEP_MINUTES / 60 / 1000, 3)})
    return profiles, notes, daily_ghi, cloud_scale


def load_profiles():
    np.random.seed(SEED)
    random.seed(SEED)
    # richardsonpy's lighting needs a year of global irradiance at the model's 60 s step; we give it Sydney's
    # clear-sky GHI for 2012 in W/m2 split as all-direct (only the sum is used) and simulate LOAD_DAYS of it.
    location = pvlib.location.Location(LATITUDE, LONGITUDE, TIMEZONE, ALTITUDE_M)
    times = pd.date_range("2012-11-01 00:00", periods=LOAD_DAYS * 1440, freq="1min", tz=TIMEZONE)
    ghi = location.get_clearsky(times, model="ineichen")["ghi"].to_numpy()
    profiles, notes = [], []
    for index in range(LOAD_TYPES):
        occupants = 1 + index % 5
        occ = occupancy.Occupancy(number_occupants=occupants, initial_day=4, nb_days=LOAD_DAYS)
        load = electric_load.ElectricLoad(
            occ_profile=occ.occupancy, total_nb_occ=occupants, q_direct=ghi, q_diffuse=np.zeros_like(ghi),
            timestep=60, initial_day=4, calc_profile=False)
        # richardsonpy's own loop always covers a year; run its daily simulation for our days only.
        curve = simulate_days(load, ghi, occ.occupancy, occupants)
        day = curve.reshape(LOAD_DAYS, 1440).mean(axis=0)
        profiles.append(day.reshape(STEPS, STEP_MINUTES).mean(axis=1))
        notes.append({"occupants": occupants})
    mean_kwh = np.mean([p.sum() * STEP_MINUTES / 60 / 1000 for p in profiles])
    scale = MEAN_DAILY_LOAD_KWH / mean_kwh
    out = []
    for p, note in zip(profiles, notes):
        q = p * scale
        out.append([round(float(v), 2) for v in q])
        note["dailyKWh"] = round(float(q.sum() * STEP_MINUTES / 60 / 1000), 3)
    return out, notes, float(mean_kwh), float(scale)


def simulate_days(load, ghi, occupancy_profile, occupants):
    """richardsonpy's per-day simulation (ElectricLoad.calc_stoch_el_profile's loop) for LOAD_DAYS days."""
    import richardsonpy.classes.appliance as app_model
    import richardsonpy.classes.lighting as light_model
    import richardsonpy.classes.stochastic_el_load_wrapper as wrapper
    src = os.path.dirname(richardsonpy.__file__)
    annual = load.standard_consumption["SFH"][occupants]
    appliances = app_model.Appliances(os.path.join(src, "inputs", "Appliances.csv"),
                                      annual_consumption=0.91 * annual, randomize_appliances=True,
                                      prev_heat_dev=False)
    lights = light_model.load_lighting_profile(filename=os.path.join(src, "inputs", "LightBulbs.csv"), index=0)
    profile = wrapper.ElectricityProfile(appliances, lights)
    days = []
    for day in range(LOAD_DAYS):
        weekend = (day + 4) % 7 in (0, 6)
        power, _, _ = profile.power_sim(irradiation=ghi[1440 * day:1440 * (day + 1)], weekend=weekend, day=day,
                                        occupancy=occupancy_profile[144 * day:144 * (day + 1)])
        days.append(np.asarray(power, dtype=float))
    return np.concatenate(days)


def write_swift(data):
    """The numbers as Swift literals, eight to a line so the file passes `swift format lint`."""
    def rows(values, indent):
        out = []
        for row in values:
            out.append(indent + "[")
            for start in range(0, len(row), 8):
                out.append(indent + "    " + ", ".join(repr(v) for v in row[start:start + 8]) + ",")
            out.append(indent + "],")
        return out
    swift = ["// Generated by scripts/generate-community-profiles.py; do not edit. Provenance: data/ce-sdt/PROVENANCE.md.",
             "// The same numbers as data/ce-sdt/profiles.json (a test checks they agree).", "",
             "extension CommunityProfiles {",
             "    /// 15 load types (W) and 3 PV irradiance types (W/m²) of an average November day in Sydney.",
             "    public static let shipped = CommunityProfiles(",
             f"        stepMinutes: {data['stepMinutes']},", "        loadTypesW: ["]
    swift += rows(data["loadTypesW"], "            ")
    swift += ["        ],", "        irradianceTypesWPerM2: ["]
    swift += rows(data["irradianceTypesWPerM2"], "            ")
    swift += ["        ])", "}", ""]
    with open(os.path.join(ROOT, "Sources", "GridCommunity", "CommunityProfileData.swift"), "w") as f:
        f.write("\n".join(swift))


def main():
    if "--swift-only" in sys.argv:  # rewrite the Swift file from the committed JSON
        with open(os.path.join(ROOT, "data", "ce-sdt", "profiles.json")) as f:
            write_swift(json.load(f))
        return
    pv, pv_notes, clear_ghi, cloud_scale = pv_profiles()
    loads, load_notes, raw_mean_kwh, load_scale = load_profiles()
    provenance = {
        "generatedUTC": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "script": "scripts/generate-community-profiles.py",
        "python": sys.version.split()[0],
        "libraries": {"pvlib": pvlib.__version__, "richardsonpy": getattr(richardsonpy, "__version__", "0.2.3"),
                      "numpy": np.__version__, "pandas": pd.__version__},
        "location": {"latitude": LATITUDE, "longitude": LONGITUDE, "altitudeM": ALTITUDE_M, "timezone": TIMEZONE},
        "month": "2012-11", "stepMinutes": STEP_MINUTES, "seed": SEED,
        "pv": {"model": "Ineichen clear sky, Hay-Davies transposition, average November day",
               "clearSkyDailyGHIKWhPerM2": round(clear_ghi, 3), "monthlyMeanDailyGHIKWhPerM2":
               NOVEMBER_MEAN_GHI_KWH_PER_M2_DAY, "cloudScale": round(cloud_scale, 4), "types": pv_notes},
        "load": {"model": "richardsonpy stochastic occupancy and appliances, 30 days averaged per household",
                 "rawMeanDailyKWh": round(raw_mean_kwh, 3), "scale": round(load_scale, 4),
                 "meanDailyKWh": MEAN_DAILY_LOAD_KWH, "types": load_notes},
    }
    data = {"stepMinutes": STEP_MINUTES, "loadTypesW": loads, "irradianceTypesWPerM2": pv,
            "provenance": provenance}
    os.makedirs(os.path.join(ROOT, "data", "ce-sdt"), exist_ok=True)
    with open(os.path.join(ROOT, "data", "ce-sdt", "profiles.json"), "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    write_swift(data)
    json.dump(provenance, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
