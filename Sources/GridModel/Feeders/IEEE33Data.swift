// IEEE 33-bus radial distribution test feeder, embedded verbatim so the model never reads files at run time.
//
// Source: M. E. Baran and F. F. Wu, "Network reconfiguration in distribution systems for loss reduction and
// load balancing," IEEE Transactions on Power Delivery, vol. 4, no. 2, pp. 1401-1407, April 1989,
// doi:10.1109/61.25627. The text below is a copy of the project's reference files ieee33bw-branches.csv and
// ieee33bw-loads.csv (same values as MATPOWER's case33bw.m). Edit those and this together, never one alone.

enum IEEE33Data {
    /// Branch table. `status` 0 marks the five normally-open tie lines (switches 33-37 in Baran & Wu).
    static let branchesCSV = """
        # IEEE 33-bus radial distribution feeder (Baran & Wu, 1989). Base 12.66 kV, 10 MVA (Zbase = 16.03 ohm).
        # from_bus,to_bus,r_ohm,x_ohm,status (1 = closed, 0 = normally-open tie line)
        from_bus,to_bus,r_ohm,x_ohm,status
        1,2,0.0922,0.0470,1
        2,3,0.4930,0.2511,1
        3,4,0.3660,0.1864,1
        4,5,0.3811,0.1941,1
        5,6,0.8190,0.7070,1
        6,7,0.1872,0.6188,1
        7,8,0.7114,0.2351,1
        8,9,1.0300,0.7400,1
        9,10,1.0440,0.7400,1
        10,11,0.1966,0.0650,1
        11,12,0.3744,0.1238,1
        12,13,1.4680,1.1550,1
        13,14,0.5416,0.7129,1
        14,15,0.5910,0.5260,1
        15,16,0.7463,0.5450,1
        16,17,1.2890,1.7210,1
        17,18,0.7320,0.5740,1
        2,19,0.1640,0.1565,1
        19,20,1.5042,1.3554,1
        20,21,0.4095,0.4784,1
        21,22,0.7089,0.9373,1
        3,23,0.4512,0.3083,1
        23,24,0.8980,0.7091,1
        24,25,0.8960,0.7011,1
        6,26,0.2030,0.1034,1
        26,27,0.2842,0.1447,1
        27,28,1.0590,0.9337,1
        28,29,0.8042,0.7006,1
        29,30,0.5075,0.2585,1
        30,31,0.9744,0.9630,1
        31,32,0.3105,0.3619,1
        32,33,0.3410,0.5302,1
        21,8,2.0,2.0,0
        9,15,2.0,2.0,0
        12,22,2.0,2.0,0
        18,33,0.5,0.5,0
        25,29,0.5,0.5,0
        """

    /// Peak load per bus in kW / kVAr. Bus 1 is the substation.
    static let loadsCSV = """
        # IEEE 33-bus feeder loads (Baran & Wu, 1989). Bus 1 is the substation (slack, 1.0 p.u.). Total 3715 kW / 2300 kVAr.
        bus,p_kw,q_kvar
        1,0,0
        2,100,60
        3,90,40
        4,120,80
        5,60,30
        6,60,20
        7,200,100
        8,200,100
        9,60,20
        10,60,20
        11,45,30
        12,60,35
        13,60,35
        14,120,80
        15,60,10
        16,60,20
        17,60,20
        18,90,40
        19,90,40
        20,90,40
        21,90,40
        22,90,40
        23,90,50
        24,420,200
        25,420,200
        26,60,25
        27,60,25
        28,60,20
        29,120,70
        30,200,600
        31,150,70
        32,210,100
        33,60,40
        """
}
