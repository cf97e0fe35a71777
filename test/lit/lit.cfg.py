# lit configuration of the SDRaD plugin tests (test/lit).
import os
import lit.formats

config.name = 'SDRaD'
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = ['.ll', '.c', '.cpp']
config.excludes = ['Inputs']
config.test_source_root = os.path.dirname(__file__)
# ctest runs each test file as its own lit invocation, in parallel: each
# gets its own exec root (lit keeps a timing file there).
config.test_exec_root = lit_config.params.get('exec_root',
                                              config.sdrad_obj_root)

config.environment['PATH'] = os.pathsep.join(
    [config.llvm_bin, config.environment.get('PATH', '')])

includes = '-I{0}/attributes -I{0}/runtime/include'.format(
    config.sdrad_source_root)
plugin = config.sdrad_plugin
target = '-target x86_64-pc-linux-gnu'
config.substitutions.append(('%plugin', plugin))
config.substitutions.append(('%includes', includes))
# %clang_sdrad: C compile with the plugin; %clangxx_sdrad: C++.
config.substitutions.append(
    ('%clangxx_sdrad', '{} --driver-mode=g++ {} -fplugin={} {}'.format(
        config.clang, target, plugin, includes)))
config.substitutions.append(
    ('%clang_sdrad', '{} {} -fplugin={} {}'.format(
        config.clang, target, plugin, includes)))
config.substitutions.append(('%clang', '{} {} {}'.format(
    config.clang, target, includes)))
# %opt_sdrad: the pass alone, on hand-written IR (the IR contract).
config.substitutions.append(
    ('%opt_sdrad', '{} -load-pass-plugin={} -passes=sdrad-isolate -S'.format(
        config.opt, plugin)))
config.substitutions.append(('%opt', config.opt))

# What differs between the supported LLVM versions (16 to 22), the way LLVM
# projects handle it: a lit feature per version for REQUIRES/UNSUPPORTED,
# and FileCheck variables for IR spellings that changed.
llvm_major = int(config.llvm_version_major)
config.available_features.add('llvm-{}'.format(llvm_major))
# [[STRUCT_GEP]]: IRBuilder::CreateStructGEP marks its GEPs nuw since LLVM 20.
struct_gep = ('getelementptr inbounds nuw' if llvm_major >= 20
              else 'getelementptr inbounds')
# [[LLVM_MAJOR]]: the LLVM/clang the plugin was built for (its messages name it).
config.substitutions.append(
    ('FileCheck', '{} "-DSTRUCT_GEP={}" -DLLVM_MAJOR={}'.format(config.filecheck, struct_gep, llvm_major)))
