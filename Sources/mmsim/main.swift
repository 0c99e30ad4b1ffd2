import MMCLI

MMSim.runAndExit()
