print("mmsim")
